import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Alert, RetrainRequest, type FeatureRow } from '@crypto-predict/core';
import { MINUTE, scorable, T0 } from '../testing/fixtures.js';
import { seededNormal } from '@crypto-predict/core/testing';
import type { Resolution } from './actual-joiner.js';
import { ErrorMonitor, nonOverlapping, type MonitorOptions } from './error-monitor.js';
import { actualMissing, scorePrediction } from './score.js';

const HOUR = 60 * MINUTE;
const options: MonitorOptions = {
  service: 'model-error-monitor',
  windowsMs: [HOUR, 24 * HOUR],
  pageHinkley: { warmup: 100, delta: 0.25, lambda: 30, clip: 5 },
  coverage: { window: 200, minSamples: 50, zThreshold: 3, tolerance: 0.05 },
  featureDrift: { windowRows: 500, minRows: 200, evaluateEveryRows: 60, warning: 0.1, critical: 0.25 },
  alertCooldownMs: HOUR,
  retrain: { minAlarms: 2, lookbackMs: 6 * HOUR, cooldownMs: 24 * HOUR },
};

/** A 1m-horizon prediction at minute i whose price error is `error` (actual 100, inside its interval unless told). */
function scored(i: number, error: number, inside = true): Resolution {
  const prediction = scorable({
    horizon: 1,
    featureTime: T0 + i * MINUTE,
    lastClose: 100,
    predictedPrice: 100 + error,
    lower: inside ? 100 - 50 : 100.5,
    upper: inside ? 100 + 50 : 101,
    coverage: 0.9,
  });
  return {
    record: scorePrediction(prediction, 100, prediction.targetTime),
    prediction,
    cause: 'actual',
    kind: 'first',
    wasPending: true,
    overwrite: true,
  };
}

describe('ErrorMonitor', () => {
  it('alerts on error drift, asks for a retrain when it is sustained, and deduplicates repeats', () => {
    const monitor = new ErrorMonitor(options);
    const normal = seededNormal(42);
    const alerts: Alert[] = [];
    const requests: RetrainRequest[] = [];
    let suppressed = 0;
    const shiftAt = 1_000;
    for (let i = 0; i < 1_600; i += 1) {
      const scale = i < shiftAt ? 0.1 : 0.4;
      const out = monitor.observe([scored(i, scale * Math.abs(normal()) + 1e-6)]);
      alerts.push(...out.alerts);
      requests.push(...out.retrainRequests);
      suppressed += out.suppressed;
    }
    const drift = alerts.filter((a) => a.kind === 'error-drift');
    assert.ok(drift.length >= 1, 'the error rise is alerted');
    assert.ok(
      drift.every((a) => a.time > T0 + shiftAt * MINUTE),
      'no error-drift alert before the change',
    );
    assert.ok(
      drift.every((a) => Alert.safeParse(a).success),
      'alerts satisfy the Alert schema',
    );
    assert.ok(drift.length <= 11, `at most one error-drift alert per hour of event time (got ${drift.length})`);
    assert.ok(suppressed > 0, 'repeated alarms inside the cooldown are suppressed');
    assert.equal(requests.length, 1, 'one retrain request: sustained drift, then the cooldown');
    const request = requests[0];
    assert.ok(request !== undefined && RetrainRequest.safeParse(request).success, 'the request satisfies the schema');
    assert.equal(request.pair, 'BTC/USDT');
    assert.equal(request.timeframe, '1m');
    assert.ok(
      alerts.some((a) => a.kind === 'retrain-requested'),
      'the retrain request is announced',
    );
  });

  it('alerts when interval coverage falls below nominal', () => {
    const monitor = new ErrorMonitor(options);
    const kinds: string[] = [];
    for (let i = 0; i < 100; i += 1)
      kinds.push(...monitor.observe([scored(i, 0.1, i % 2 === 0)]).alerts.map((a) => a.kind));
    assert.ok(kinds.includes('coverage-drift'), '50 % coverage against 90 % nominal is alerted');
    const [series] = monitor.seriesDrift();
    assert.equal(series?.coverage.verdict, 'under-covering');
  });

  it('alerts on missing actuals, once per cooldown', () => {
    const monitor = new ErrorMonitor(options);
    const missing = (i: number): Resolution => {
      const prediction = scorable({ featureTime: T0 + i * MINUTE });
      return {
        record: actualMissing(prediction, prediction.targetTime + 5 * MINUTE),
        prediction,
        cause: 'watermark',
        kind: 'first',
        wasPending: true,
        overwrite: true,
      };
    };
    const out = monitor.observe([missing(0), missing(1), missing(2)]);
    assert.equal(out.alerts.length, 1, 'one alert for a run of missing actuals');
    assert.equal(out.alerts[0]?.kind, 'actual-missing');
    assert.equal(out.suppressed, 2);
    const metrics = monitor.metrics.snapshot().find((s) => s.windowMs === HOUR)?.metrics;
    assert.equal(metrics?.actualMissing, 3, 'missing actuals are counted in the metrics');
  });

  it('rebuilds state quietly: no alerts while restoring', () => {
    const monitor = new ErrorMonitor(options);
    const out = monitor.observe(
      Array.from({ length: 300 }, (_, i) => scored(i, i < 150 ? 0.01 : 5, false)),
      { quiet: true },
    );
    assert.deepEqual(out, { alerts: [], retrainRequests: [], suppressed: 0 });
    assert.equal(
      monitor.metrics.seriesMetrics(
        { pair: 'BTC/USDT', horizon: 1, modelName: 'price-BTC-USDT-1m', modelVersion: '3' },
        24 * HOUR,
      )?.scored,
      300,
    );
  });

  it('feeds drift detectors one prediction per horizon length', () => {
    assert.equal(nonOverlapping(T0 + 15 * MINUTE, 15), true);
    assert.equal(nonOverlapping(T0 + 16 * MINUTE, 15), false);
    assert.equal(nonOverlapping(T0 + 7 * MINUTE, 1), true);
  });

  it('measures feature drift against the champion’s reference and says when it has none', () => {
    const monitor = new ErrorMonitor(options);
    const row = (i: number, value: number): FeatureRow => ({
      v: 1,
      featureSchemaVersion: 1,
      pair: 'BTC/USDT',
      timeframe: '1m',
      time: T0 + i * MINUTE,
      close: 100,
      features: { rsi_14: value },
    });
    assert.deepEqual(monitor.observeFeatures(row(0, 50)).alerts, [], 'no reference, no feature drift');
    monitor.setReference('BTC/USDT', {
      modelName: 'price-BTC-USDT-1m',
      modelVersion: '3',
      timeframe: '1m',
      featureSchemaVersion: 1,
      reference: { rsi_14: { edges: [0, 25, 50, 75, 100], fractions: [0.25, 0.25, 0.25, 0.25] } },
    });
    const alerts: Alert[] = [];
    for (let i = 0; i < 240; i += 1) alerts.push(...monitor.observeFeatures(row(i, 90)).alerts);
    assert.equal(alerts.length, 1, 'one alert per cooldown');
    assert.equal(alerts[0]?.kind, 'feature-drift');
    assert.equal(alerts[0]?.severity, 'critical', 'every value in one quartile bin is a major shift');
    assert.ok(Alert.safeParse(alerts[0]).success);
    assert.equal(monitor.featureDrift()[0]?.features[0]?.feature, 'rsi_14');
  });
});
