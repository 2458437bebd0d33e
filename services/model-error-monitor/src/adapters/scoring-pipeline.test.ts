import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, createLogger, type Alert, type PredictionError, type RetrainRequest } from '@crypto-predict/core';
import { Registry } from 'prom-client';
import { ActualJoiner } from '../domain/actual-joiner.js';
import { ErrorMonitor } from '../domain/error-monitor.js';
import { scorePrediction } from '../domain/score.js';
import type { ScorablePrediction } from '../domain/scorable-prediction.js';
import { candle, MINUTE, scorable, T0 } from '../testing/fixtures.js';
import { createMonitorMetrics } from './monitor-metrics.js';
import type { StoreBatch, StoreResult } from './monitor-store.js';
import { ScoringPipeline, type PipelineSinks, type RestoreSource } from './scoring-pipeline.js';

const HOUR = 60 * MINUTE;

/** Sinks that remember what reached them, and can be told to fail. */
class FakeSinks implements PipelineSinks {
  writes: StoreBatch[] = [];
  published: PredictionError[] = [];
  alerts: Alert[] = [];
  retrain: RetrainRequest[] = [];
  failWrites = 0;
  failPublishes = 0;
  readonly events: string[] = [];

  write(batch: StoreBatch): Promise<StoreResult> {
    if (this.failWrites > 0) {
      this.failWrites -= 1;
      return Promise.reject(new AppError('STORE_UNAVAILABLE', 'store down'));
    }
    this.writes.push(batch);
    this.events.push('write');
    return Promise.resolve({ alreadyStored: new Set(), refused: [] });
  }
  publishErrors(records: PredictionError[]): Promise<void> {
    if (this.failPublishes > 0) {
      this.failPublishes -= 1;
      return Promise.reject(new AppError('KAFKA_UNAVAILABLE', 'broker down'));
    }
    this.published.push(...records);
    this.events.push('publish');
    return Promise.resolve();
  }
  publishAlerts(alerts: Alert[]): Promise<void> {
    this.alerts.push(...alerts);
    return Promise.resolve();
  }
  publishRetrainRequests(requests: RetrainRequest[]): Promise<void> {
    this.retrain.push(...requests);
    return Promise.resolve();
  }
  pruneActuals(): Promise<number> {
    return Promise.resolve(0);
  }
  storedErrors(): string[] {
    return this.writes.flatMap((w) => w.errors.map((e) => e.record.predictionId));
  }
}

function build(sinks: FakeSinks, pairs: string[] | null = ['BTC/USDT']) {
  const joiner = new ActualJoiner({ graceMs: 5 * MINUTE, retentionMs: 48 * HOUR, maxPendingPerPair: 1000 });
  const monitor = new ErrorMonitor({
    service: 'model-error-monitor',
    windowsMs: [HOUR],
    pageHinkley: { warmup: 100, delta: 0.25, lambda: 30, clip: 5 },
    coverage: { window: 200, minSamples: 50, zThreshold: 3, tolerance: 0.05 },
    featureDrift: { windowRows: 500, minRows: 200, evaluateEveryRows: 60, warning: 0.1, critical: 0.25 },
    alertCooldownMs: HOUR,
    retrain: { minAlarms: 2, lookbackMs: 6 * HOUR, cooldownMs: 24 * HOUR },
  });
  const pipeline = new ScoringPipeline({
    joiner,
    monitor,
    sinks,
    log: createLogger('test', 'silent'),
    metrics: createMonitorMetrics(new Registry()),
    pairs,
    retentionMs: 48 * HOUR,
    historyMs: HOUR,
  });
  return { pipeline, joiner, monitor };
}

const TARGET = T0 + 5 * MINUTE;

describe('ScoringPipeline', () => {
  it('persists a pending prediction, then stores the record (and drops the pending entry) before publishing it', async () => {
    const sinks = new FakeSinks();
    const { pipeline } = build(sinks);
    const p = scorable();
    await pipeline.handlePredictions([p]);
    assert.deepEqual(
      sinks.writes[0]?.pendingUpserts.map((x) => x.id),
      [p.id],
      'the pending prediction is made durable',
    );
    assert.equal(sinks.published.length, 0);

    await pipeline.handleCandles([candle(TARGET, 102)]);
    const write = sinks.writes[1];
    assert.deepEqual(
      write?.errors.map((e) => e.record.predictionId),
      [p.id],
      'the record is stored',
    );
    assert.deepEqual(write?.pendingDeletes, [p.id], 'its pending entry goes in the same write');
    assert.deepEqual(
      write?.actuals.map((a) => a.closeTime),
      [TARGET],
      'the close is remembered for restarts',
    );
    assert.deepEqual(
      sinks.events,
      ['write', 'write', 'publish'],
      'the topic gets the record only after the store has it',
    );
    assert.equal(sinks.published[0]?.actualPrice, 102);
  });

  it('loses nothing and doubles nothing when a flush fails and the consumer retries the batch', async () => {
    const sinks = new FakeSinks();
    const { pipeline } = build(sinks);
    await pipeline.handleCandles([candle(TARGET, 102)]);
    sinks.failWrites = 1;
    await assert.rejects(
      pipeline.handlePredictions([scorable()]),
      (error: unknown) => error instanceof AppError && error.retryable,
      'a retryable error makes the consumer retry',
    );
    // The consumer retries the same batch: the prediction is now a duplicate for the joiner, but its
    // record is still in the outbox.
    await pipeline.handlePredictions([scorable()]);
    assert.deepEqual(sinks.storedErrors(), [scorable().id], 'the record is stored exactly once');
    assert.equal(sinks.published.length, 1, 'and published exactly once');

    sinks.failPublishes = 1;
    await pipeline.handleCandles([candle(TARGET + MINUTE, 100)]);
    const q = scorable({ featureTime: T0 + MINUTE });
    await assert.rejects(pipeline.handlePredictions([q]));
    await pipeline.handlePredictions([q]);
    assert.equal(
      sinks.published.filter((r) => r.predictionId === q.id).length,
      1,
      'a failed publish is retried once, not lost',
    );
  });

  it('ignores pairs it does not monitor', async () => {
    const sinks = new FakeSinks();
    const { pipeline, joiner } = build(sinks);
    await pipeline.handlePredictions([scorable({ pair: 'ETH/USDT' })]);
    await pipeline.handleCandles([candle(TARGET, 5, { pair: 'ETH/USDT' })]);
    assert.equal(sinks.writes.length, 0);
    assert.equal(joiner.pendingCount('ETH/USDT'), 0);
  });

  it('restores closes, resolved records and pending predictions after a restart', async () => {
    const sinks = new FakeSinks();
    const { pipeline } = build(sinks);
    const scoredBefore = scorable({ featureTime: T0 - MINUTE, horizon: 1 });
    const waiting: ScorablePrediction = scorable();
    const stillWaiting = scorable({ horizon: 60 });
    const source: RestoreSource = {
      loadActuals: () =>
        Promise.resolve([
          { pair: 'BTC/USDT', closeTime: T0, close: 100, revision: 0 },
          { pair: 'BTC/USDT', closeTime: TARGET, close: 103, revision: 0 },
        ]),
      loadErrors: () => Promise.resolve([{ record: scorePrediction(scoredBefore, 100, T0), prediction: scoredBefore }]),
      loadPending: () => Promise.resolve([waiting, stillWaiting]),
    };
    const restored = await pipeline.restore(source);
    assert.deepEqual(restored, { actuals: 2, errors: 1, pending: 2 });
    assert.deepEqual(
      sinks.published.map((r) => r.predictionId),
      [waiting.id],
      'a pending prediction whose close is known is scored at once',
    );
    assert.equal(sinks.published[0]?.actualPrice, 103);
    assert.deepEqual(sinks.writes[0]?.pendingDeletes, [waiting.id]);

    await pipeline.handlePredictions([scoredBefore]);
    assert.equal(sinks.published.length, 1, 'a prediction scored before the restart is recognised as a duplicate');
  });
});
