import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PredictionError } from '@crypto-predict/core';
import { seededNormal } from '@crypto-predict/core/testing';
import { computeWindowMetrics, sampleFromRecord } from '@crypto-predict/model-error-monitor/metrics';
import { actualMissing, scorePrediction } from '@crypto-predict/model-error-monitor/score';
import { candle, MINUTE, predictAndScore, prediction, T0 } from '../testing/market.js';
import { rollingMetricSeries, type MetricPoint } from './metric-series.js';

/** The monitor's record of a 1-minute prediction made at `lastClose`, for the close `actual`. */
function scored(targetTime: number, predicted: number, actual: number, lastClose: number, lower = 1, upper = 1e9) {
  const p = prediction({
    horizon: 1,
    featureTime: targetTime - MINUTE,
    lastClose,
    predictedPrice: predicted,
    lower,
    upper,
  });
  return scorePrediction(p, actual, targetTime);
}

function missing(targetTime: number): PredictionError {
  return actualMissing(prediction({ horizon: 1, featureTime: targetTime - MINUTE }), targetTime + 5 * MINUTE);
}

const close = (actual: number | null, expected: number | null, what: string) => {
  if (expected === null || actual === null) return assert.equal(actual, expected, what);
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);
};

describe('rollingMetricSeries', () => {
  it('computes MAE, RMSE and coverage of the model and of naive over the trailing window (hand-computed)', () => {
    // Errors (model): +2, −4, +1; naive (lastClose − actual): −1, −3, +2; the second actual is outside [95, 105].
    const records = [
      scored(T0 + 1 * MINUTE, 102, 100, 99, 95, 105),
      scored(T0 + 2 * MINUTE, 102, 106, 103, 95, 105),
      scored(T0 + 3 * MINUTE, 101, 100, 102, 95, 105),
    ];
    const points = rollingMetricSeries(records, { windowMs: 10 * MINUTE, stepMs: MINUTE });
    assert.deepEqual(
      points.map((p) => p.time - T0),
      [1, 2, 3].map((m) => m * MINUTE),
      'one point per step with data, the last at the newest target time',
    );
    const last = points[2] as MetricPoint;
    assert.equal(last.count, 3);
    close(last.mae, 7 / 3, 'MAE = (2 + 4 + 1) / 3');
    close(last.rmse, Math.sqrt(21 / 3), 'RMSE = √((4 + 16 + 1) / 3)');
    close(last.naiveMae, 6 / 3, 'naive MAE = (1 + 3 + 2) / 3');
    close(last.naiveRmse, Math.sqrt(14 / 3), 'naive RMSE = √((1 + 9 + 4) / 3)');
    close(last.maeRatio, 7 / 6, 'ratio');
    close(last.coverage, 2 / 3, 'two of three actuals inside the interval');
    close(points[0]?.mae ?? null, 2, 'the first window holds only the first record');
  });

  it('lets records leave the window: (t − window, t] by target time', () => {
    const records = [scored(T0 + MINUTE, 110, 100, 100), scored(T0 + 3 * MINUTE, 101, 100, 100)];
    const points = rollingMetricSeries(records, { windowMs: 2 * MINUTE, stepMs: MINUTE });
    // At T0+2m the window (T0, T0+2m] holds the first; at T0+3m, (T0+1m, T0+3m] holds only the second.
    assert.deepEqual(
      points.map((p) => [(p.time - T0) / MINUTE, p.count, p.mae]),
      [
        [1, 1, 10],
        [2, 1, 10],
        [3, 1, 1],
      ],
    );
  });

  it('leaves a gap where the window is empty and shows windows of missing actuals without errors', () => {
    const records = [scored(T0 + MINUTE, 101, 100, 100), missing(T0 + 10 * MINUTE)];
    const points = rollingMetricSeries(records, { windowMs: 2 * MINUTE, stepMs: MINUTE });
    assert.deepEqual(
      points.map((p) => (p.time - T0) / MINUTE),
      [1, 2, 10],
      'minutes 3-9 have an empty window and no point',
    );
    const last = points[2] as MetricPoint;
    assert.equal(last.count, 0);
    assert.equal(last.missing, 1);
    assert.equal(last.mae, null, 'no MAE from missing actuals alone');
    assert.equal(last.coverage, null);
  });

  it('aligns points to the step on the epoch and adds the newest target time', () => {
    const records = [scored(T0 + 2 * MINUTE, 101, 100, 100), scored(T0 + 13 * MINUTE, 101, 100, 100)];
    const points = rollingMetricSeries(records, { windowMs: 60 * MINUTE, stepMs: 5 * MINUTE });
    assert.deepEqual(
      points.map((p) => (p.time - T0) / MINUTE),
      [5, 10, 13],
    );
  });

  it('agrees at every point with the monitor’s window metrics over the same records', () => {
    const normal = seededNormal(42);
    let price = 95_000;
    const candles = [];
    for (let minute = 0; minute < 600; minute += 1) {
      price *= Math.exp(0.0008 * normal());
      candles.push(candle(T0 + (minute + 1) * MINUTE, price));
    }
    const { errors } = predictAndScore(candles, [5]);
    const records = errors.filter((_, index) => index % 17 !== 3); // a few holes
    const windowMs = 45 * MINUTE;
    const points = rollingMetricSeries(records, { windowMs, stepMs: 5 * MINUTE });
    assert.ok(points.length > 100, `enough points (${points.length})`);
    for (const point of points) {
      const inWindow = records.filter((r) => r.targetTime > point.time - windowMs && r.targetTime <= point.time);
      const expected = computeWindowMetrics(inWindow.map((r) => sampleFromRecord(r, 0.9)));
      assert.equal(point.count, expected.scored, `count at ${point.time}`);
      close(point.mae, expected.mae, `MAE at ${point.time}`);
      close(point.rmse, expected.rmse, `RMSE at ${point.time}`);
      close(point.naiveMae, expected.maeNaive, `naive MAE at ${point.time}`);
      close(point.naiveRmse, expected.rmseNaive, `naive RMSE at ${point.time}`);
      close(point.coverage, expected.coverage, `coverage at ${point.time}`);
    }
  });

  it('is empty for no records and refuses a non-positive window or step', () => {
    assert.deepEqual(rollingMetricSeries([], { windowMs: MINUTE, stepMs: MINUTE }), []);
    assert.throws(() => rollingMetricSeries([], { windowMs: 0, stepMs: MINUTE }), RangeError);
    assert.throws(() => rollingMetricSeries([], { windowMs: MINUTE, stepMs: -1 }), RangeError);
  });
});
