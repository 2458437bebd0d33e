import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MINUTE, scorable, T0 } from '../testing/fixtures.js';
import { computeWindowMetrics, RollingMetrics, sampleFromRecord, type SeriesKey } from './rolling-metrics.js';
import { actualMissing, scorePrediction } from './score.js';

function near(actual: number | null, expected: number, what: string): void {
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${what}: expected ${expected}, got ${actual}`);
}

// Three scored predictions and one whose actual never came. Hand-computed:
//   #1 last 90,  predicted 110, [80, 120], actual 100: error 10, |pct| 10,    up/up ✓,  inside,  naive 10 (10 %),  width 40/90 = 44.4 %
//   #2 last 100, predicted 95,  [90, 110], actual 80:  error 15, |pct| 18.75, down/down ✓, outside, naive 20 (25 %), width 20 %
//   #3 last 50,  predicted 55,  [45, 60],  actual 40:  error 15, |pct| 37.5,  up/down ✗, outside, naive 10 (25 %), width 30 %
const terms = [
  { lastClose: 90, predictedPrice: 110, lower: 80, upper: 120, actual: 100 },
  { lastClose: 100, predictedPrice: 95, lower: 90, upper: 110, actual: 80 },
  { lastClose: 50, predictedPrice: 55, lower: 45, upper: 60, actual: 40 },
];
function samples() {
  const scored = terms.map((t, i) => {
    const prediction = scorable({ ...t, featureTime: T0 + i * MINUTE, coverage: 0.9 });
    return sampleFromRecord(scorePrediction(prediction, t.actual, prediction.targetTime), 0.9);
  });
  const missingPrediction = scorable({ featureTime: T0 + 3 * MINUTE });
  return [
    ...scored,
    sampleFromRecord(actualMissing(missingPrediction, missingPrediction.targetTime + 6 * MINUTE), 0.9),
  ];
}

describe('computeWindowMetrics', () => {
  it('matches hand-computed MAE, RMSE, MAPE, direction, coverage and width, beside naive', () => {
    const m = computeWindowMetrics(samples());
    assert.equal(m.count, 4);
    assert.equal(m.scored, 3);
    assert.equal(m.actualMissing, 1, 'a missing actual is counted, not scored');
    near(m.mae, 40 / 3, 'MAE = (10 + 15 + 15) / 3');
    near(m.rmse, Math.sqrt(550 / 3), 'RMSE = √((100 + 225 + 225) / 3)');
    near(m.mape, 66.25 / 3, 'MAPE = (10 + 18.75 + 37.5) / 3');
    near(m.maeNaive, 40 / 3, 'naive MAE = (10 + 20 + 10) / 3');
    near(m.rmseNaive, Math.sqrt(200), 'naive RMSE = √((100 + 400 + 100) / 3)');
    near(m.mapeNaive, 20, 'naive MAPE = (10 + 25 + 25) / 3');
    near(m.maeRatioVsNaive, 1, 'the model ties naive on MAE');
    near(m.directionalAccuracy, 2 / 3, 'two of three directions right');
    assert.equal(m.directionalCount, 3);
    near(m.coverage, 1 / 3, 'one of three actuals inside its interval');
    near(m.nominalCoverage, 0.9, 'nominal coverage');
    near(m.meanWidthPct, (4000 / 90 + 20 + 30) / 3, 'mean width in % of the last close');
  });

  it('has no values, only counts, for a window with nothing scored', () => {
    const m = computeWindowMetrics(samples().slice(3));
    assert.equal(m.count, 1);
    assert.equal(m.mae, null);
    assert.equal(m.maeRatioVsNaive, null);
    assert.equal(m.coverage, null);
  });
});

describe('RollingMetrics', () => {
  const key: SeriesKey = { pair: 'BTC/USDT', horizon: 5, modelName: 'price-BTC-USDT-1m', modelVersion: '3' };

  it('reads each window back from the pair’s event-time clock', () => {
    const rolling = new RollingMetrics([60 * MINUTE, 24 * 60 * MINUTE]);
    // Abs errors 1 (two hours before the clock) and 3 (now).
    const old = scorable({ featureTime: T0, predictedPrice: 101, lastClose: 100 });
    const recent = scorable({ featureTime: T0 + 120 * MINUTE, predictedPrice: 103, lastClose: 100 });
    rolling.add(key, sampleFromRecord(scorePrediction(old, 100, old.targetTime), 0.9));
    rolling.add(key, sampleFromRecord(scorePrediction(recent, 100, recent.targetTime), 0.9));
    const byWindow = new Map(rolling.snapshot().map((s) => [s.windowMs, s.metrics]));
    near(byWindow.get(60 * MINUTE)?.mae ?? null, 3, 'the 1h window holds only the recent error');
    near(byWindow.get(24 * 60 * MINUTE)?.mae ?? null, 2, 'the 24h window holds both');
  });

  it('replaces a re-scored record instead of counting it twice', () => {
    const rolling = new RollingMetrics([60 * MINUTE]);
    const p = scorable({ predictedPrice: 101, lastClose: 100 });
    rolling.add(key, sampleFromRecord(scorePrediction(p, 100, p.targetTime), 0.9));
    rolling.add(key, sampleFromRecord(scorePrediction(p, 105, p.targetTime), 0.9));
    const m = rolling.seriesMetrics(key, 60 * MINUTE);
    assert.equal(m?.scored, 1, 'one prediction, one sample');
    near(m?.mae ?? null, 4, 'the revised actual wins');
  });

  it('forgets samples older than the longest window', () => {
    const rolling = new RollingMetrics([60 * MINUTE]);
    const old = scorable({ featureTime: T0 });
    const later = scorable({ featureTime: T0 + 180 * MINUTE });
    rolling.add(key, sampleFromRecord(scorePrediction(old, 100, old.targetTime), 0.9));
    rolling.add(key, sampleFromRecord(scorePrediction(later, 100, later.targetTime), 0.9));
    assert.equal(
      rolling.seriesMetrics(key, 24 * 60 * MINUTE)?.count,
      1,
      'only samples within the longest window are kept',
    );
  });
});
