import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createLogger,
  deleteIndices,
  deleteTopics,
  ensureTopics,
  MessageProducer,
  Prediction,
  searchAll,
  topicName,
  TOPICS,
  type FeatureRow,
} from '@crypto-predict/core';
import { eventually, MlflowAdmin, testElastic, testKafka, testStack, uniquePrefix } from '@crypto-predict/core/testing';
import { Registry } from 'prom-client';
import { buildPredictor, type PredictorApp } from '../src/app.js';
import { predictionsIndex } from '../src/adapters/prediction-index.js';
import { loadPredictorConfig } from '../src/config.js';
import {
  expectedPredictions,
  featureRow,
  fixtureContract,
  fixtureOnnx,
  predictorTestEnv,
} from '../src/test-support/fixtures.js';

/** Φ⁻¹(0.95), from scipy.stats.norm.ppf: the naive 90% interval's z, independent of the code under test. */
const Z90 = 1.6448536269514722;

/** What the predictor must write for a row, computed from the weights and the contract rule. */
function expectedFor(row: FeatureRow, version: string, weights: 'v1' | 'v2', modelName: string) {
  return expectedPredictions(row, weights).map((want) => ({
    ...want,
    id: `BTC-USDT:${want.horizon}:${row.time}:${modelName}@${version}`,
  }));
}

const close = (actual: number, expected: number, what: string): void => {
  assert.ok(
    Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
    `${what}: expected ${expected}, got ${actual}`,
  );
};

describe('price-predictor against real Kafka, Elasticsearch 8.19 and MLflow', { timeout: 180_000 }, () => {
  const stack = testStack();
  const prefix = uniquePrefix();
  const modelName = `price-BTC-USDT-1m-${prefix}`;
  const mlflow = new MlflowAdmin(stack.mlflowUri, 'price-predictor');
  const elastic = testElastic();
  const kafka = testKafka(`test-${prefix}`);
  let producer: MessageProducer;
  let app: PredictorApp;
  let cacheDir: string;
  const index = predictionsIndex(prefix);

  const send = (rows: FeatureRow[]) => producer.send(TOPICS.features, rows);
  const stored = async (): Promise<Prediction[]> => {
    await elastic.indices.refresh({ index, ignore_unavailable: true });
    const predictions: Prediction[] = [];
    const all = searchAll(elastic, { index, query: { match_all: {} }, sort: [{ id: 'asc' }], pageSize: 50 });
    for await (const hit of all) {
      const prediction = Prediction.parse(hit._source);
      assert.equal(hit._id, prediction.id, 'the document _id must be the prediction id');
      predictions.push(prediction);
    }
    return predictions;
  };
  const storedFor = async (rows: FeatureRow[], perRow = 4): Promise<Prediction[]> =>
    eventually(`predictions of ${rows.length} rows in ${index}`, async () => {
      const times = new Set(rows.map((row) => row.time));
      const found = (await stored()).filter((p) => times.has(p.featureTime));
      return found.length >= rows.length * perRow ? found : undefined;
    });

  before(async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'predictor-it-'));
    const v1 = await mlflow.registerVersion(modelName, {
      'model.onnx': fixtureOnnx('linear-v1-f64'),
      'contract.json': JSON.stringify(fixtureContract({ modelName })),
    });
    await mlflow.setAlias(modelName, 'champion', v1);
    await ensureTopics(kafka, [{ name: topicName(prefix, 'features'), partitions: 1 }]);
    producer = await MessageProducer.connect(kafka, { prefix });
    const config = loadPredictorConfig({
      ...predictorTestEnv({ prefix, modelName, cacheDir, pollMs: 300 }),
      LOG_LEVEL: 'warn',
    });
    app = buildPredictor(config, {
      log: createLogger('price-predictor-test', 'warn'),
      registry: new Registry(),
      refreshIndex: true,
    });
    await app.start();
  });

  after(async () => {
    await app?.stop();
    await producer?.disconnect();
    await deleteTopics(kafka, [
      topicName(prefix, 'features'),
      `${topicName(prefix, 'features')}.dlq`,
      topicName(prefix, 'predictions'),
      topicName(prefix, 'alerts'),
    ]).catch(() => undefined);
    await deleteIndices(elastic, `${prefix}-*`);
    await elastic.close();
    await mlflow.cleanup();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('serves the champion from MLflow and writes exact predictions to the index, id as _id', async () => {
    assert.deepEqual(app.pairs.get('BTC/USDT')?.top(), { rung: 'champion', model: { name: modelName, version: '1' } });
    const rows = [featureRow(0), featureRow(1), featureRow(2)];
    await send(rows);
    const found = await storedFor(rows);
    assert.equal(found.length, 12, 'exactly one prediction per row and horizon');
    for (const row of rows) {
      for (const want of expectedFor(row, '1', 'v1', modelName)) {
        const got = found.find((p) => p.id === want.id);
        assert.ok(got !== undefined, `prediction ${want.id} must be indexed`);
        assert.equal(got.featureTime, row.time);
        assert.equal(got.targetTime, row.time + want.horizon * 60_000);
        assert.deepEqual(got.model, { name: modelName, version: '1', servedBy: 'champion' });
        close(got.predictedLogReturn, want.predictedLogReturn, `${want.id} log return`);
        close(got.predictedPrice, want.predictedPrice, `${want.id} price`);
        close(got.lower, want.lower, `${want.id} lower`);
        close(got.upper, want.upper, `${want.id} upper`);
      }
    }
  });

  it('serves a warming-up row naive, with the normal interval', async () => {
    const row = featureRow(3);
    row.features = { ...row.features, rsi_14: null };
    await send([row]);
    const found = await storedFor([row]);
    const v = row.features.volatility_30 ?? Number.NaN;
    for (const p of found) {
      assert.deepEqual(p.model, { name: 'naive', version: '1', servedBy: 'naive' });
      assert.equal(p.predictedPrice, row.close);
      close(p.lower, row.close * Math.exp(-Z90 * v * Math.sqrt(p.horizon)), `naive lower h=${p.horizon}`);
      close(p.upper, row.close * Math.exp(Z90 * v * Math.sqrt(p.horizon)), `naive upper h=${p.horizon}`);
    }
  });

  it('is idempotent on replay: the same row again overwrites, never duplicates', async () => {
    const row = featureRow(0);
    const marker = featureRow(4);
    await send([row, marker]);
    await storedFor([marker]);
    const all = await stored();
    assert.equal(all.filter((p) => p.featureTime === row.time).length, 4, 'a replayed row must still have 4 documents');
  });

  it('hot-swaps to a new champion when the alias moves, and refuses a mismatched one', async () => {
    const bad = await mlflow.registerVersion(modelName, {
      'model.onnx': fixtureOnnx('linear-v1-f64'),
      'contract.json': JSON.stringify(
        fixtureContract({ modelName, features: ['log_return_1', 'rsi_14', 'funding_rate'] }),
      ),
    });
    await mlflow.setAlias(modelName, 'champion', bad);
    await eventually('the mismatched champion to be refused', () =>
      Promise.resolve(app.pairs.get('BTC/USDT')?.top().rung === 'previous' ? true : undefined),
    );
    const during = [featureRow(10)];
    await send(during);
    const servedPrevious = await storedFor(during);
    assert.ok(
      servedPrevious.every((p) => p.model.servedBy === 'previous' && p.model.version === '1'),
      'the last good model must serve as previous',
    );

    const good = await mlflow.registerVersion(modelName, {
      'model.onnx': fixtureOnnx('linear-v2-f64'),
      'contract.json': JSON.stringify(fixtureContract({ modelName })),
    });
    await mlflow.setAlias(modelName, 'champion', good);
    await eventually('the new champion to serve', () =>
      Promise.resolve(app.pairs.get('BTC/USDT')?.top().model?.version === good ? true : undefined),
    );
    const rows = [featureRow(11), featureRow(12)];
    await send(rows);
    const found = await storedFor(rows);
    for (const row of rows) {
      for (const want of expectedFor(row, good, 'v2', modelName)) {
        const got = found.find((p) => p.id === want.id);
        assert.ok(got !== undefined, `prediction ${want.id} from the new champion must be indexed`);
        assert.equal(got.model.servedBy, 'champion');
        close(got.predictedLogReturn, want.predictedLogReturn, `${want.id} log return`);
        close(got.lower, want.lower, `${want.id} lower`);
      }
    }
  });
});
