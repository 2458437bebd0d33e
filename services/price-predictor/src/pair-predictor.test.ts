import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger, MlflowRegistry, type Prediction } from '@crypto-predict/core';
import { FakeMlflow } from '@crypto-predict/core/testing';
import { Registry } from 'prom-client';
import { ModelLoader } from './adapters/model-loader.js';
import { createPredictorMetrics } from './metrics.js';
import { PairPredictor, type RefusalReport } from './pair-predictor.js';
import {
  expectedLogReturns,
  featureRow,
  FIXTURE_SETTINGS,
  fixtureContract,
  fixtureOnnx,
  inputsOf,
  sameLogReturns,
} from './test-support/fixtures.js';

const settings = FIXTURE_SETTINGS;

describe('PairPredictor', () => {
  let mlflow: FakeMlflow;
  let cacheDir: string;
  let counter = 0;

  before(async () => {
    mlflow = await FakeMlflow.start();
    cacheDir = await mkdtemp(path.join(tmpdir(), 'predictor-cache-'));
  });
  after(async () => {
    await mlflow.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  /** A predictor for a fresh model name with versions 1 (v1 weights), 2 (mismatched contract), 3 (v2 weights). */
  const setup = (): {
    predictor: PairPredictor;
    name: string;
    refusals: RefusalReport[];
    metrics: ReturnType<typeof createPredictorMetrics>;
  } => {
    counter += 1;
    const name = `price-BTC-USDT-1m-${counter}`;
    mlflow.addVersion(name, '1', {
      'model.onnx': fixtureOnnx('linear-v1-f64'),
      'contract.json': JSON.stringify(fixtureContract({ modelName: name })),
    });
    mlflow.addVersion(name, '2', {
      'model.onnx': fixtureOnnx('linear-v1-f64'),
      'contract.json': JSON.stringify(
        fixtureContract({ modelName: name, features: ['log_return_1', 'rsi_14', 'funding_rate'] }),
      ),
    });
    mlflow.addVersion(name, '3', {
      'model.onnx': fixtureOnnx('linear-v2-f64'),
      'contract.json': JSON.stringify(fixtureContract({ modelName: name })),
    });
    const registry = new MlflowRegistry(mlflow.url);
    const metrics = createPredictorMetrics(new Registry());
    const refusals: RefusalReport[] = [];
    const predictor = new PairPredictor({
      pair: 'BTC/USDT',
      timeframe: '1m',
      modelName: name,
      selector: { alias: 'champion' },
      settings,
      registry,
      loader: new ModelLoader(registry, cacheDir),
      log: createLogger('test', 'silent'),
      metrics,
      onRefusal: (report) => {
        refusals.push(report);
        return Promise.resolve();
      },
    });
    return { predictor, name, refusals, metrics };
  };

  it('serves naive until a champion exists, then the champion with the exact model values', async () => {
    const { predictor, name } = setup();
    await predictor.poll();
    assert.equal(predictor.top().rung, 'naive', 'with no champion alias the predictor must serve naive');
    mlflow.setAlias(name, 'champion', '1');
    await predictor.poll();
    assert.deepEqual(predictor.top(), { rung: 'champion', model: { name, version: '1' } });
    const row = featureRow(11);
    const { predictions } = await predictor.predict([row], 123);
    const expected = expectedLogReturns('v1', inputsOf(row));
    const actual = predictions.map((p) => p.predictedLogReturn);
    assert.ok(
      sameLogReturns(actual, expected),
      `float64 ONNX output must equal x·W + b from the weights: ${actual.join()} vs ${expected.join()}`,
    );
    await predictor.stop();
  });

  it('refuses a new champion whose contract does not match the rows, alerts, and serves the previous model', async () => {
    const { predictor, name, refusals, metrics } = setup();
    mlflow.setAlias(name, 'champion', '1');
    await predictor.poll();
    await predictor.predict([featureRow(0)], 1); // the predictor now knows the row's features
    mlflow.setAlias(name, 'champion', '2');
    await predictor.poll();
    assert.equal(refusals.length, 1, 'the refusal must be reported once');
    assert.deepEqual(refusals[0]?.model, { name, version: '2' });
    assert.match(refusals[0]?.problems.join() ?? '', /funding_rate/);
    assert.deepEqual(predictor.top(), { rung: 'previous', model: { name, version: '1' } });
    const { predictions } = await predictor.predict([featureRow(1)], 2);
    assert.ok(predictions.every((p) => p.model.servedBy === 'previous' && p.model.version === '1'));
    await predictor.poll();
    assert.equal(refusals.length, 1, 'a refused version must not be loaded (and refused) again at every poll');
    const refusedCount = (await metrics.refusals.get()).values.reduce((sum, v) => sum + v.value, 0);
    assert.equal(refusedCount, 1, 'the refusal must be counted');
    mlflow.setAlias(name, 'champion', '3');
    await predictor.poll();
    assert.deepEqual(
      predictor.top(),
      { rung: 'champion', model: { name, version: '3' } },
      'a good new champion must serve',
    );
    await predictor.stop();
  });

  it('keeps serving when the registry is down', async () => {
    const { predictor, name, metrics } = setup();
    mlflow.setAlias(name, 'champion', '1');
    await predictor.poll();
    mlflow.setDown(true);
    try {
      await predictor.poll();
    } finally {
      mlflow.setDown(false);
    }
    assert.deepEqual(predictor.top(), { rung: 'champion', model: { name, version: '1' } });
    assert.equal((await metrics.pollErrors.get()).values[0]?.value, 1, 'the failed poll must be counted');
    await predictor.stop();
  });

  it('hot-swaps on a poll during a stream without dropping or duplicating a row', async () => {
    const { predictor, name } = setup();
    mlflow.setAlias(name, 'champion', '1');
    await predictor.poll();
    mlflow.setAlias(name, 'champion', '3');
    const seen: Prediction[] = [];
    let swap: Promise<void> | null = null;
    const stream = Array.from({ length: 40 }, (_, i) => featureRow(i));
    for (let i = 0; i < stream.length; i += 2) {
      if (i === 10) swap = predictor.poll(); // loads v3 while batches keep flowing
      const outcome = await predictor.predict(stream.slice(i, i + 2), i);
      seen.push(...outcome.predictions);
    }
    await swap;
    const last = await predictor.predict([featureRow(40)], 99);
    seen.push(...last.predictions);
    for (const row of [...stream, featureRow(40)]) {
      const forRow = seen.filter((p) => p.featureTime === row.time);
      assert.equal(forRow.length, 4, `row ${row.time} must have exactly one prediction per horizon`);
      const version = forRow[0]?.model.version;
      assert.ok(
        forRow.every((p) => p.model.version === version),
        'a row must be served by one model',
      );
      const weights = version === '1' ? 'v1' : 'v2';
      assert.ok(
        sameLogReturns(
          forRow.map((p) => p.predictedLogReturn),
          expectedLogReturns(weights, inputsOf(row)),
        ),
        `row ${row.time}: values must come from the serving version ${version}`,
      );
    }
    assert.match(seen.map((p) => p.model.version).join(''), /^1+3+$/, 'versions must switch once, from 1 to 3');
    await predictor.stop();
  });
});
