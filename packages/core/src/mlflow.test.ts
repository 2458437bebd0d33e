import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AppError } from './errors.js';
import { artifactPath, MlflowRegistry } from './mlflow.js';
import { FakeMlflow } from './testing/fake-mlflow.js';

const NAME = 'price-BTC-USDT-1m';
const golden = readFileSync(new URL('../golden/model-contract.json', import.meta.url), 'utf8');

const failsWith = (code: string, retryable: boolean, pattern?: RegExp) => (error: unknown) =>
  error instanceof AppError &&
  error.code === code &&
  error.retryable === retryable &&
  (pattern === undefined || pattern.test(error.message));

describe('MlflowRegistry against an MLflow-shaped server', () => {
  let mlflow: FakeMlflow;
  let registry: MlflowRegistry;

  before(async () => {
    mlflow = await FakeMlflow.start();
    registry = new MlflowRegistry(`${mlflow.url}/`);
    mlflow.addVersion(NAME, '1', { 'model.onnx': Buffer.from([1, 2, 3]), 'contract.json': golden });
    mlflow.addVersion(NAME, '2', { 'contract.json': '{"contractVersion": 1}' });
    mlflow.addVersion(NAME, '3', { 'model.onnx': Buffer.from([4]) });
    mlflow.setAlias(NAME, 'champion', '1');
  });

  after(async () => {
    await mlflow.close();
  });

  it('resolves an alias to its version, source and run', async () => {
    const ref = await registry.resolveAlias(NAME, 'champion');
    assert.equal(ref?.name, NAME);
    assert.equal(ref?.version, '1');
    assert.match(ref?.source ?? '', /^mlflow-artifacts:\/1\/.+\/artifacts\/model$/);
    assert.ok(ref?.runId !== null, 'the run id is kept');
  });

  it('resolves an unset alias, an unknown model or version to null', async () => {
    assert.equal(await registry.resolveAlias(NAME, 'challenger'), null);
    assert.equal(await registry.resolveAlias('price-NOPE-1m', 'champion'), null);
    assert.equal(await registry.getVersion(NAME, '99'), null);
  });

  it('says the registry is unavailable (retryable) when it answers 5xx', async () => {
    mlflow.setDown(true);
    try {
      await assert.rejects(registry.resolveAlias(NAME, 'champion'), failsWith('UPSTREAM_UNAVAILABLE', true));
    } finally {
      mlflow.setDown(false);
    }
  });

  it('says the registry is unavailable (retryable) when nothing listens', async () => {
    const gone = await FakeMlflow.start();
    await gone.close();
    await assert.rejects(
      new MlflowRegistry(gone.url).resolveAlias(NAME, 'champion'),
      failsWith('UPSTREAM_UNAVAILABLE', true, /unreachable/),
    );
  });

  it('downloads a version file through the artifact proxy, byte for byte', async () => {
    const ref = await registry.getVersion(NAME, '1');
    assert.ok(ref !== null);
    assert.deepEqual(await registry.downloadArtifact(ref.source, 'model.onnx'), Buffer.from([1, 2, 3]));
    await assert.rejects(registry.downloadArtifact(ref.source, 'missing.bin'), failsWith('MODEL_UNAVAILABLE', false));
  });

  it('follows an alias to the version’s parsed contract', async () => {
    const found = await registry.aliasContract(NAME, 'champion');
    assert.equal(found?.version.version, '1');
    assert.deepEqual(found?.contract, JSON.parse(golden), 'the golden contract, parsed unchanged');
    assert.equal(await registry.aliasContract('price-ETH-USDT-1m', 'champion'), null);
  });

  it('refuses a contract that is not a ModelContract, or is missing, and no retry helps', async () => {
    mlflow.setAlias(NAME, 'broken', '2');
    await assert.rejects(
      registry.aliasContract(NAME, 'broken'),
      failsWith('MODEL_CONTRACT_MISMATCH', false, /price-BTC-USDT-1m@2: invalid contract/),
    );
    mlflow.setAlias(NAME, 'bare', '3');
    await assert.rejects(registry.aliasContract(NAME, 'bare'), failsWith('MODEL_UNAVAILABLE', false));
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
