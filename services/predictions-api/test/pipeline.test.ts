import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  createLogger,
  deleteIndices,
  deleteTopics,
  ensureTopics,
  MessageProducer,
  topicName,
  TOPICS,
  type FeatureRow,
  type Prediction,
} from '@crypto-predict/core';
import { eventually, MlflowAdmin, testElastic, testKafka, testStack, uniquePrefix } from '@crypto-predict/core/testing';
import {
  expectedPredictions,
  featureRow,
  fixtureContract,
  fixtureOnnx,
  predictorTestEnv,
} from '@crypto-predict/price-predictor/test-fixtures';
import { Registry } from 'prom-client';
import { ApiKeyStore } from '../src/adapters/api-key-store.js';
import { buildApi, type ApiApp } from '../src/app.js';
import { loadApiConfig } from '../src/config.js';
import { schemaFor } from './support/database.js';
import { keysCli } from './support/keys-cli.js';

/*
 * The serving path end to end: a model registered in a real MLflow, the price-predictor run as its
 * own process (as deployed), feature rows through a real Kafka, predictions into the real
 * Elasticsearch and topic, and this API answering with them, computed independently from the
 * fixture model's weights (the predictor's test fixtures).
 */

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BASE = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;

/** Feature rows of the last half hour (inside the API's warm-up look-back). */
function row(i: number): FeatureRow {
  return featureRow(i, { time: BASE + i * 60_000 });
}

const near = (actual: number, want: number, what: string): void => {
  assert.ok(Math.abs(actual - want) <= 1e-12 * Math.max(1, Math.abs(want)), `${what}: expected ${want}, got ${actual}`);
};

describe(
  'pipeline: MLflow model → price-predictor process → Kafka and Elasticsearch → predictions-api',
  { timeout: 180_000 },
  () => {
    const stack = testStack();
    const prefix = uniquePrefix();
    const schema = schemaFor(prefix);
    const modelName = `price-BTC-USDT-1m-${prefix}`;
    const mlflow = new MlflowAdmin(stack.mlflowUri, 'predictions-api');
    const elastic = testElastic();
    const kafka = testKafka(`test-${prefix}`);
    const db = { DATABASE_URL: stack.databaseUrl, DATABASE_SCHEMA: schema };
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
        'model.onnx': fixtureOnnx('linear-v1-f64'),
        'contract.json': JSON.stringify(fixtureContract({ modelName })),
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
          ELASTICSEARCH_URL: stack.elasticsearchUrl,
          KAFKA_BROKERS: stack.kafkaBrokers,
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
      await deleteIndices(elastic, `${prefix}-*`);
      await elastic.close();
      const store = ApiKeyStore.connect(stack.databaseUrl, schema);
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
          ...predictorTestEnv({ prefix, modelName, cacheDir: path.join(workDir, 'models'), pollMs: 1000 }),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      predictor.stdout?.pipe(log);
      predictor.stderr?.pipe(log);
      const child = predictor;
      predictorExit = new Promise((resolve) => child.once('exit', () => resolve()));

      const latest = await latestAt(row(2).time);
      for (const want of expectedPredictions(row(2), 'v1')) {
        const { horizon } = want;
        const got = latest.find((p) => p.horizon === horizon);
        assert.ok(got !== undefined, `horizon ${horizon} must be served`);
        assert.deepEqual(got.model, { name: modelName, version: '1', servedBy: 'champion' });
        near(got.predictedLogReturn, want.predictedLogReturn, `h=${horizon} log return`);
        near(got.predictedPrice, want.predictedPrice, `h=${horizon} price`);
        near(got.lower, want.lower, `h=${horizon} lower`);
        near(got.upper, want.upper, `h=${horizon} upper`);
      }

      const history = await eventually('all 12 predictions in the API history', async () => {
        const response = await get(`/v1/predictions?pair=BTC/USDT&from=${row(0).time}&order=asc`);
        const body = (await response.json()) as { predictions: Prediction[] };
        return body.predictions.length === 12 ? body.predictions : undefined;
      });
      for (const [i, r] of rows.entries()) {
        for (const want of expectedPredictions(r, 'v1')) {
          const got = history.find((p) => p.featureTime === r.time && p.horizon === want.horizon);
          assert.ok(got !== undefined, `row ${i} horizon ${want.horizon} must be in the history`);
          near(got.predictedPrice, want.predictedPrice, `row ${i} h=${want.horizon} price`);
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
        expectedPredictions(next, 'v1').find((want) => want.horizon === 5)?.predictedPrice ?? Number.NaN,
        'latest h=5 price',
      );
    });
  },
);
