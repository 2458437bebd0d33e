import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@crypto-predict/core';
import { FakeMlflow } from '../test-support/fake-mlflow.js';
import { expectedLogReturns, featureRow, fixtureContract, fixtureOnnx, inputsOf } from '../test-support/fixtures.js';
import { artifactPath, MlflowRegistry } from './mlflow-registry.js';
import { ModelLoader } from './model-loader.js';

const NAME = 'price-BTC-USDT-1m';
const expectation = { pair: 'BTC/USDT', timeframe: '1m', featureSchemaVersion: 1, knownFeatures: null };

describe('MlflowRegistry and ModelLoader against an MLflow-shaped server', () => {
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
    mlflow.setAlias(NAME, 'champion', '1');
  });

  after(async () => {
    await mlflow.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('resolves an alias to its version and source', async () => {
    const ref = await registry.resolveAlias(NAME, 'champion');
    assert.equal(ref?.version, '1');
    assert.match(ref?.source ?? '', /^mlflow-artifacts:\/1\/.+\/artifacts\/model$/);
  });

  it('resolves an unset alias or unknown model to null', async () => {
    assert.equal(await registry.resolveAlias(NAME, 'challenger'), null);
    assert.equal(await registry.resolveAlias('price-NOPE-1m', 'champion'), null);
  });

  it('says the registry is unavailable (retryable) when it answers 5xx', async () => {
    mlflow.setDown(true);
    try {
      await assert.rejects(
        registry.resolveAlias(NAME, 'champion'),
        (error: unknown) => error instanceof AppError && error.code === 'UPSTREAM_UNAVAILABLE' && error.retryable,
      );
    } finally {
      mlflow.setDown(false);
    }
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

describe('artifactPath', () => {
  it('takes the path after mlflow-artifacts:, with or without a host', () => {
    assert.equal(artifactPath('mlflow-artifacts:/0/abc/artifacts/model'), '0/abc/artifacts/model');
    assert.equal(artifactPath('mlflow-artifacts://127.0.0.1:15000/0/abc/artifacts/model/'), '0/abc/artifacts/model');
  });

  it('refuses sources the artifact proxy cannot serve, and paths that climb out', () => {
    assert.throws(() => artifactPath('file:///tmp/mlruns/0/abc/artifacts/model'), /not an mlflow-artifacts: URI/);
    assert.throws(() => artifactPath('mlflow-artifacts:/0/../../etc'), /leaves its folder/);
  });
});
