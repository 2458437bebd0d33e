import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  createKafka,
  createLogger,
  deleteTopics,
  ensureTopics,
  FEATURE_SCHEMA_VERSION,
  MessageProducer,
  topicName,
  TOPICS,
  type FeatureRow,
  type Prediction,
} from '@crypto-predict/core';
import { Registry } from 'prom-client';
import { ApiKeyStore } from '../src/adapters/api-key-store.js';
import { SearchHttp } from '../src/adapters/search-http.js';
import { buildApi, type ApiApp } from '../src/app.js';
import { loadApiConfig } from '../src/config.js';
import { keysCli } from './support/keys-cli.js';
import { MlflowAdmin } from './support/mlflow-admin.js';
import { eventually, schemaFor, STACK, uniquePrefix } from './support/stack.js';

/*
 * The serving path end to end: a model registered in a real MLflow, the price-predictor run as its
 * own process (as deployed), feature rows through a real Kafka, predictions into the real search
 * store and topic, and this API answering with them, computed here independently.
 */

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = path.join(REPO, 'services/price-predictor/test/fixtures');
const WEIGHTS = JSON.parse(readFileSync(path.join(FIXTURES, 'linear-weights.json'), 'utf8')) as {
  v1: { W: number[][]; b: number[] };
};
const SCALE: Record<string, number> = { '1': 1.5, '5': 3.25, '15': 5.5, '60': 11 };
const HORIZONS = [1, 5, 15, 60];

function contract(modelName: string): Record<string, unknown> {
  const golden = JSON.parse(
    readFileSync(path.join(REPO, 'packages/core/golden/model-contract.json'), 'utf8'),
  ) as Record<string, unknown>;
  return {
    ...golden,
    modelName,
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    horizons: HORIZONS,
    features: ['log_return_1', 'rsi_14', 'volatility_30'],
    onnx: { file: 'model.onnx', input: 'features', inputType: 'float64', output: 'log_returns' },
    intervals: { method: 'conformal-vol-normalised', coverage: 0.9, volatilityFeature: 'volatility_30', scale: SCALE },
  };
}

const BASE = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;

function row(i: number): FeatureRow {
  return {
    v: 1,
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    pair: 'BTC/USDT',
    timeframe: '1m',
    time: BASE + i * 60_000,
    close: 95_000 + 7 * i,
    features: { log_return_1: 0.0003 * (i - 1), rsi_14: 45 + i, volatility_30: 0.0005 + 0.00001 * i, macd_hist: null },
  };
}

/** The prediction the predictor must make for a row and horizon: x·W + b and the contract's interval rule. */
function expected(r: FeatureRow, horizonIndex: number) {
  const x = [r.features.log_return_1, r.features.rsi_14, r.features.volatility_30].map((v) => v ?? Number.NaN);
  const p =
    x.reduce((sum, value, f) => sum + value * (WEIGHTS.v1.W[f]?.[horizonIndex] ?? Number.NaN), 0) +
    (WEIGHTS.v1.b[horizonIndex] ?? Number.NaN);
  const halfWidth = (SCALE[String(HORIZONS[horizonIndex])] ?? Number.NaN) * (r.features.volatility_30 ?? Number.NaN);
  return {
    p,
    price: r.close * Math.exp(p),
    lower: r.close * Math.exp(p - halfWidth),
    upper: r.close * Math.exp(p + halfWidth),
  };
}

const near = (actual: number, want: number, what: string): void => {
  assert.ok(Math.abs(actual - want) <= 1e-12 * Math.max(1, Math.abs(want)), `${what}: expected ${want}, got ${actual}`);
};

describe(
  'pipeline: MLflow model → price-predictor process → Kafka and search store → predictions-api',
  { timeout: 180_000 },
  () => {
    const prefix = uniquePrefix();
    const schema = schemaFor(prefix);
    const modelName = `price-BTC-USDT-1m-${prefix}`;
    const mlflow = new MlflowAdmin(STACK.mlflow);
    const search = new SearchHttp(STACK.search);
    const kafka = createKafka({ brokers: STACK.kafka, clientId: `test-${prefix}` });
    const db = { DATABASE_URL: STACK.database, DATABASE_SCHEMA: schema };
    let producer: MessageProducer;
    let api: ApiApp;
    let predictor: ChildProcess | null = null;
    let predictorExit: Promise<void> = Promise.resolve();
    let workDir: string;
    let key: string;

    const get = (pathAndQuery: string, headers: Record<string, string> = { 'x-api-key': key }) =>
      fetch(`${api.url}${pathAndQuery}`, { headers });
    const latestAt = (time: number) =>
      eventually(
        `the API's latest prediction for feature time ${time}`,
        async () => {
          const response = await get('/v1/predictions/latest?pair=BTC/USDT');
          if (response.status !== 200) return undefined;
          const body = (await response.json()) as { predictions: Prediction[] };
          return body.predictions.length === 4 && body.predictions.every((p) => p.featureTime === time)
            ? body.predictions
            : undefined;
        },
        60_000,
      );

    before(async () => {
      workDir = await mkdtemp(path.join(tmpdir(), 'pipeline-'));
      const version = await mlflow.registerVersion(modelName, {
        'model.onnx': readFileSync(path.join(FIXTURES, 'linear-v1-f64.onnx')),
        'contract.json': JSON.stringify(contract(modelName)),
      });
      await mlflow.setAlias(modelName, 'champion', version);
      await ensureTopics(kafka, [
        { name: topicName(prefix, TOPICS.features.name), partitions: 1 },
        { name: topicName(prefix, TOPICS.predictions.name), partitions: TOPICS.predictions.partitions },
      ]);
      producer = await MessageProducer.connect(kafka, { prefix });
      key = (await keysCli(['create', '--name', 'pipeline'], db)).stdout.trim();
      api = buildApi(
        loadApiConfig({
          PORT: '0',
          ELASTICSEARCH_URL: STACK.search,
          KAFKA_BROKERS: STACK.kafka,
          TOPIC_PREFIX: prefix,
          FEED_SETTLE_MS: '5000',
          ...db,
        }),
        { log: createLogger('predictions-api-test', 'warn'), registry: new Registry() },
      );
      await api.start();
    });

    after(async () => {
      if (predictor !== null && predictor.exitCode === null) predictor.kill('SIGTERM');
      await predictorExit;
      await api?.stop();
      await producer?.disconnect();
      const topics = ['features', 'predictions', 'alerts'].map((name) => topicName(prefix, name));
      await deleteTopics(kafka, [...topics, `${topicName(prefix, 'features')}.dlq`]).catch(() => undefined);
      await search.deleteIndex(`${prefix}-*`);
      await search.deleteIndexTemplate(`${prefix}-predictions-template`);
      const store = ApiKeyStore.connect(STACK.database, schema);
      await store.dropSchema().catch(() => undefined);
      await store.close();
      await mlflow.cleanup();
      await rm(workDir, { recursive: true, force: true });
    });

    it('serves the predictor’s predictions of real feature rows, exactly, to a valid key only', async () => {
      const rows = [row(0), row(1), row(2)];
      await producer.send(TOPICS.features, rows);
      const log = createWriteStream(path.join(workDir, 'predictor.log'));
      predictor = spawn(process.execPath, ['--import', 'tsx', 'services/price-predictor/src/main.ts'], {
        cwd: REPO,
        env: {
          ...process.env,
          KAFKA_BROKERS: STACK.kafka,
          ELASTICSEARCH_URL: STACK.search,
          MLFLOW_TRACKING_URI: STACK.mlflow,
          TOPIC_PREFIX: prefix,
          OPS_PORT: '0',
          MODEL_NAME: modelName,
          MODEL_POLL_MS: '1000',
          MODEL_CACHE_DIR: path.join(workDir, 'models'),
          CONSUMER_GROUP: `${prefix}-predictor`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      predictor.stdout?.pipe(log);
      predictor.stderr?.pipe(log);
      const child = predictor;
      predictorExit = new Promise((resolve) => child.once('exit', () => resolve()));

      const latest = await latestAt(row(2).time);
      HORIZONS.forEach((horizon, h) => {
        const got = latest.find((p) => p.horizon === horizon);
        assert.ok(got !== undefined, `horizon ${horizon} must be served`);
        const want = expected(row(2), h);
        assert.deepEqual(got.model, { name: modelName, version: '1', servedBy: 'champion' });
        near(got.predictedLogReturn, want.p, `h=${horizon} log return`);
        near(got.predictedPrice, want.price, `h=${horizon} price`);
        near(got.lower, want.lower, `h=${horizon} lower`);
        near(got.upper, want.upper, `h=${horizon} upper`);
      });

      const history = await eventually('all 12 predictions in the API history', async () => {
        const response = await get(`/v1/predictions?pair=BTC/USDT&from=${row(0).time}&order=asc`);
        const body = (await response.json()) as { predictions: Prediction[] };
        return body.predictions.length === 12 ? body.predictions : undefined;
      });
      for (const [i, r] of rows.entries()) {
        for (const [h, horizon] of HORIZONS.entries()) {
          const got = history.find((p) => p.featureTime === r.time && p.horizon === horizon);
          assert.ok(got !== undefined, `row ${i} horizon ${horizon} must be in the history`);
          near(got.predictedPrice, expected(r, h).price, `row ${i} h=${horizon} price`);
        }
      }

      const unauthorized = await get('/v1/predictions/latest?pair=BTC/USDT', {});
      assert.equal(unauthorized.status, 401, 'without a key the API must answer 401');
      assert.equal(((await unauthorized.json()) as { error: string }).error, 'unauthorized');
    });

    it('pushes a new prediction from the topic to the cache and the SSE stream', async () => {
      const controller = new AbortController();
      const stream = await fetch(`${api.url}/v1/stream?pair=BTC/USDT&horizon=5`, {
        headers: { 'x-api-key': key },
        signal: controller.signal,
      });
      assert.equal(stream.status, 200);
      const reader = stream.body?.getReader();
      assert.ok(reader !== undefined);
      const next = row(3);
      await producer.send(TOPICS.features, [next]);
      const decoder = new TextDecoder();
      let text = '';
      const marker = `"featureTime":${next.time}`;
      const deadline = Date.now() + 30_000;
      while (!text.includes(marker)) {
        assert.ok(Date.now() < deadline, 'the new prediction must reach the stream within 30 s');
        const chunk = (await reader.read()) as { done: boolean; value?: Uint8Array };
        if (chunk.done) break;
        text += decoder.decode(chunk.value);
      }
      controller.abort();
      assert.ok(text.includes(marker), 'the stream must carry the new prediction');
      const latest = await latestAt(next.time);
      near(
        latest.find((p) => p.horizon === 5)?.predictedPrice ?? Number.NaN,
        expected(next, 1).price,
        'latest h=5 price',
      );
    });
  },
);
