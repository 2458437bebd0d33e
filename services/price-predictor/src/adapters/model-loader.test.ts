import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppError, MlflowRegistry } from '@crypto-predict/core';
import { FakeMlflow } from '@crypto-predict/core/testing';
import { expectedLogReturns, featureRow, fixtureContract, fixtureOnnx, inputsOf } from '../test-support/fixtures.js';
import { ModelLoader } from './model-loader.js';

const NAME = 'price-BTC-USDT-1m';
const expectation = { pair: 'BTC/USDT', timeframe: '1m', featureSchemaVersion: 1, knownFeatures: null };

describe('ModelLoader against an MLflow-shaped server (core MlflowRegistry)', () => {
  let mlflow: FakeMlflow;
  let cacheDir: string;
  let registry: MlflowRegistry;

  before(async () => {
    mlflow = await FakeMlflow.start();
    cacheDir = await mkdtemp(path.join(tmpdir(), 'predictor-cache-'));
    registry = new MlflowRegistry(mlflow.url);
    mlflow.addVersion(NAME, '1', {
      'model.onnx': fixtureOnnx('linear-v1-f64'),
      'contract.json': JSON.stringify(fixtureContract()),
    });
    mlflow.addVersion(NAME, '2', {
      'model.onnx': fixtureOnnx('linear-v1-f32'),
      'contract.json': JSON.stringify(
        fixtureContract({
          onnx: { file: 'model.onnx', input: 'features', inputType: 'float32', output: 'log_returns' },
        }),
      ),
    });
    mlflow.addVersion(NAME, '3', {
      'model.onnx': fixtureOnnx('linear-v1-f64'),
      'contract.json': JSON.stringify(fixtureContract({ features: ['log_return_1', 'rsi_14'] })),
    });
    mlflow.addVersion(NAME, '4', {
      'model.onnx': fixtureOnnx('linear-v1-f64'),
      'contract.json': JSON.stringify(
        fixtureContract({
          onnx: { file: 'model.onnx', input: 'features', inputType: 'float32', output: 'log_returns' },
        }),
      ),
    });
    mlflow.addVersion(NAME, '5', {
      'model.onnx': fixtureOnnx('linear-v1-f64'),
      'contract.json': '{"contractVersion": 1}',
    });
  });

  after(async () => {
    await mlflow.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('loads a float64 model that computes x·W + b, then serves it from the cache', async () => {
    const loader = new ModelLoader(registry, cacheDir);
    const ref = await registry.getVersion(NAME, '1');
    assert.ok(ref !== null);
    const model = await loader.load(ref, expectation);
    const row = featureRow(4);
    const [output] = await model.run([inputsOf(row)]);
    const expected = expectedLogReturns('v1', inputsOf(row));
    output?.forEach((value, h) => {
      assert.ok(
        Math.abs(value - (expected[h] ?? Number.NaN)) <= 1e-15,
        `horizon column ${h} must be x·W + b: ${value} vs ${expected[h]}`,
      );
    });
    await model.release();
    const before = mlflow.requests.length;
    const again = await new ModelLoader(registry, cacheDir).load(ref, expectation);
    assert.equal(mlflow.requests.length, before, 'a cached version must not be downloaded again');
    await again.release();
  });

  it('runs a float32 model', async () => {
    const ref = await registry.getVersion(NAME, '2');
    assert.ok(ref !== null);
    const model = await new ModelLoader(registry, cacheDir).load(ref, expectation);
    const row = featureRow(9);
    const [output] = await model.run([inputsOf(row)]);
    const expected = expectedLogReturns('v1', inputsOf(row));
    output?.forEach((value, h) => {
      const want = expected[h] ?? Number.NaN;
      assert.ok(
        Math.abs(value - want) <= 1e-6 * Math.max(1e-4, Math.abs(want)),
        `float32 column ${h} must be near ${want}, got ${value}`,
      );
    });
    await model.release();
  });

  const refusedWith = (pattern: RegExp) => (error: unknown) =>
    error instanceof AppError &&
    error.code === 'MODEL_CONTRACT_MISMATCH' &&
    !error.retryable &&
    pattern.test(error.message);

  it('refuses a contract whose feature list does not match the ONNX input width', async () => {
    const ref = await registry.getVersion(NAME, '3');
    assert.ok(ref !== null);
    await assert.rejects(
      new ModelLoader(registry, cacheDir).load(ref, expectation),
      refusedWith(/3 wide, the contract lists 2 features/),
    );
  });

  it('refuses a contract whose input type is not the model input type', async () => {
    const ref = await registry.getVersion(NAME, '4');
    assert.ok(ref !== null);
    await assert.rejects(
      new ModelLoader(registry, cacheDir).load(ref, expectation),
      refusedWith(/model input is float64, the contract says float32/),
    );
  });

  it('refuses a contract that is not a ModelContract', async () => {
    const ref = await registry.getVersion(NAME, '5');
    assert.ok(ref !== null);
    await assert.rejects(new ModelLoader(registry, cacheDir).load(ref, expectation), refusedWith(/invalid contract/));
  });

  it('refuses a contract for another pair before downloading the model', async () => {
    const ref = await registry.getVersion(NAME, '1');
    assert.ok(ref !== null);
    await assert.rejects(
      new ModelLoader(registry, cacheDir).load(ref, { ...expectation, pair: 'ETH/USDT' }),
      refusedWith(/model is for pair BTC\/USDT, not ETH\/USDT/),
    );
  });
});
