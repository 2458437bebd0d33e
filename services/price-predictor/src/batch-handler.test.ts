import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, createLogger, type FeatureRow, type Prediction, type Received } from '@crypto-predict/core';
import { Registry } from 'prom-client';
import { createBatchHandler, type PairPredicting } from './batch-handler.js';
import { twoSidedZ } from './domain/normal-quantile.js';
import { predictBatch, ServingLadder, type ServableModel } from './domain/serving-ladder.js';
import { createPredictorMetrics } from './metrics.js';
import { expectedLogReturns, featureRow, fixtureContract } from './test-support/fixtures.js';

const settings = {
  horizons: [1, 5],
  naiveCoverage: 0.9,
  naiveZ: twoSidedZ(0.9),
  naiveVolatilityFeature: 'volatility_30',
  candleMinutes: 1,
};

const model = (version: string): ServableModel => ({
  name: 'price-BTC-USDT-1m',
  version,
  contract: fixtureContract(),
  run: (inputs) => Promise.resolve(inputs.map((x) => expectedLogReturns('v1', x))),
});

/** A pair predictor over a ladder the test can swap; counts its batches. */
class LadderPredictor implements PairPredicting {
  readonly ladder = new ServingLadder();
  batches = 0;
  predict(rows: readonly FeatureRow[], createdAt: number) {
    this.batches += 1;
    return predictBatch(this.ladder, rows, settings, createdAt);
  }
}

const received = (rows: FeatureRow[], firstOffset = 0): Received<FeatureRow>[] =>
  rows.map((value, i) => ({
    value,
    key: value.pair,
    topic: 't.features',
    partition: 0,
    offset: String(firstOffset + i),
    timestamp: 0,
  }));

describe('createBatchHandler', () => {
  it('publishes the very predictions it made when the consumer retries a batch whose publication failed', async () => {
    const predictor = new LadderPredictor();
    predictor.ladder.install(model('1'), 'champion');
    const published: Prediction[][] = [];
    let failures = 1;
    const handle = createBatchHandler({
      timeframe: '1m',
      pairs: new Map([['BTC/USDT', predictor]]),
      publish: (predictions) => {
        if (failures > 0) {
          failures -= 1;
          return Promise.reject(new AppError('KAFKA_UNAVAILABLE', 'broker down'));
        }
        published.push(predictions);
        return Promise.resolve();
      },
      clock: () => 1,
      metrics: createPredictorMetrics(new Registry()),
      log: createLogger('test', 'silent'),
    });
    const batch = received([featureRow(0), featureRow(1)]);
    await assert.rejects(handle(batch), /broker down/);
    predictor.ladder.install(model('2'), 'champion'); // a swap between the failure and the retry
    await handle(batch);
    assert.equal(predictor.batches, 1, 'a retried batch must not be predicted again');
    assert.equal(published.length, 1);
    assert.ok(
      published[0]?.every((p) => p.model.version === '1'),
      'the retry must publish the first predictions, from v1',
    );
    assert.equal(published[0]?.length, 4);
    await handle(received([featureRow(2)], 2));
    assert.ok(
      published[1]?.every((p) => p.model.version === '2'),
      'the next batch uses the swapped-in model',
    );
  });

  it('predicts only the served pairs and timeframe', async () => {
    const predictor = new LadderPredictor();
    const published: Prediction[] = [];
    const metrics = createPredictorMetrics(new Registry());
    const handle = createBatchHandler({
      timeframe: '1m',
      pairs: new Map([['BTC/USDT', predictor]]),
      publish: (predictions) => {
        published.push(...predictions);
        return Promise.resolve();
      },
      clock: () => 1,
      metrics,
      log: createLogger('test', 'silent'),
    });
    await handle(received([featureRow(0), featureRow(1, { pair: 'ETH/USDT' }), featureRow(2, { timeframe: '5m' })]));
    assert.deepEqual([...new Set(published.map((p) => p.featureTime))], [featureRow(0).time]);
    const ignored = (await metrics.ignored.get()).values.map((v) => [v.labels.reason, v.value]);
    assert.deepEqual(ignored.sort(), [
      ['pair', 1],
      ['timeframe', 1],
    ]);
  });
});
