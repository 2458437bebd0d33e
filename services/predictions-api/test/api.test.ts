import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bulkIndex, createLogger, deleteIndices, type Prediction, type PredictionError } from '@crypto-predict/core';
import { testElastic, testStack, uniquePrefix } from '@crypto-predict/core/testing';
import { errorDocument, errorIndex } from '@crypto-predict/model-error-monitor/error-index';
import { actualMissing, scorePrediction } from '@crypto-predict/model-error-monitor/score';
import { predictionsIndex } from '@crypto-predict/price-predictor/prediction-index';
import { Registry } from 'prom-client';
import { ApiKeyStore } from '../src/adapters/api-key-store.js';
import { buildApi, type ApiApp } from '../src/app.js';
import { loadApiConfig } from '../src/config.js';
import { samplePrediction } from '../src/test-support/fakes.js';
import { schemaFor } from './support/database.js';
import { installIndexMappings } from './support/indices.js';
import { keysCli } from './support/keys-cli.js';

const NOW = Date.now();
const MINUTE = 60_000;
const T0 = Math.floor(NOW / MINUTE) * MINUTE - 120 * MINUTE;

function prediction(minute: number, horizon: number, pair = 'BTC/USDT'): Prediction {
  const featureTime = T0 + minute * MINUTE;
  const lastClose = 90_000 + minute;
  return samplePrediction(0, {
    pair,
    horizon,
    featureTime,
    createdAt: featureTime + 200,
    lastClose,
    predictedLogReturn: 0.0001 * horizon,
    predictedPrice: lastClose * Math.exp(0.0001 * horizon),
    lower: 89_000,
    upper: 91_000,
    model: { name: 'price-BTC-USDT-1m', version: '7', servedBy: 'champion' },
  });
}

describe('predictions-api against real Elasticsearch 8.19 and PostgreSQL', { timeout: 120_000 }, () => {
  const stack = testStack();
  const prefix = uniquePrefix();
  const schema = schemaFor(prefix);
  const elastic = testElastic();
  const db = { DATABASE_URL: stack.databaseUrl, DATABASE_SCHEMA: schema };
  let app: ApiApp;
  let key: string;
  const predictions: Prediction[] = [];
  const errors: PredictionError[] = [];

  const get = (path: string, headers: Record<string, string> = { authorization: `Bearer ${key}` }) =>
    fetch(`${app.url}${path}`, { headers });

  before(async () => {
    // Index mappings as the predictor and the monitor install them.
    await installIndexMappings(elastic, prefix);
    for (let minute = 0; minute < 12; minute += 1)
      for (const horizon of [1, 5]) predictions.push(prediction(minute, horizon));
    predictions.push(prediction(3, 5, 'ETH/USDT'));
    const old = prediction(-3000, 5); // older than the warm-up look-back, must not be the latest anyway
    predictions.push(old);
    const five = predictions.filter((p) => p.pair === 'BTC/USDT' && p.horizon === 5 && p.featureTime >= T0);
    // Error records as the monitor scores them; intervals are [89 000, 91 000], so 91 500 is outside.
    const scoredAt = (p: Prediction) => p.targetTime + 1000;
    for (const [i, actual] of [90_010, 91_500, 90_002].entries()) {
      const p = five[i] as Prediction;
      errors.push(scorePrediction(p, actual, scoredAt(p)));
    }
    errors.push(actualMissing(five[3] as Prediction, scoredAt(five[3] as Prediction)));
    const byId = new Map(predictions.map((p) => [p.id, p]));
    const written = await bulkIndex(
      elastic,
      [
        ...predictions.map((p) => ({ index: predictionsIndex(prefix), id: p.id, document: p })),
        ...errors.map((e) => {
          const scoredPrediction = byId.get(e.predictionId);
          assert.ok(scoredPrediction !== undefined, `error record ${e.predictionId} must be of a stored prediction`);
          // The document exactly as the monitor writes it.
          return { index: errorIndex(prefix), id: e.predictionId, document: errorDocument(e, scoredPrediction) };
        }),
      ],
      { refresh: 'wait_for' },
    );
    assert.deepEqual(written.failed, [], 'the owners’ mappings must accept every document');
    const created = await keysCli(['create', '--name', 'integration'], db);
    key = created.stdout.trim();
    assert.match(key, /^cpk_[A-Za-z0-9_-]{43}$/, 'the CLI must print the key alone on stdout');
    const config = loadApiConfig({
      PORT: '0',
      ELASTICSEARCH_URL: stack.elasticsearchUrl,
      ...db,
      TOPIC_PREFIX: prefix,
      FEED_ENABLED: 'false',
      KEY_CACHE_TTL_MS: '0',
      RATE_LIMIT_PER_S: '1000',
      RATE_LIMIT_BURST: '1000',
    });
    app = buildApi(config, { log: createLogger('predictions-api-test', 'warn'), registry: new Registry() });
    await app.start();
  });

  after(async () => {
    await app?.stop();
    await deleteIndices(elastic, `${prefix}-*`);
    await elastic.close();
    const store = ApiKeyStore.connect(stack.databaseUrl, schema);
    await store.dropSchema();
    await store.close();
  });

  it('stores the key hashed, never in clear', async () => {
    const store = ApiKeyStore.connect(stack.databaseUrl, schema);
    try {
      const listed = await store.list();
      assert.equal(listed.length, 1);
      const { createHash } = await import('node:crypto');
      assert.ok(
        (await store.findByHash(createHash('sha256').update(key).digest('hex'))) !== null,
        'the key must be found by its SHA-256',
      );
    } finally {
      await store.close();
    }
  });

  it('answers 401 without a key and 200 with it', async () => {
    assert.equal((await get('/v1/predictions/latest?pair=BTC/USDT', {})).status, 401);
    assert.equal((await get('/v1/predictions/latest?pair=BTC/USDT')).status, 200);
  });

  it('warms the latest cache from the index', async () => {
    const response = await get('/v1/predictions/latest?pair=BTC/USDT');
    const body = (await response.json()) as { predictions: Prediction[] };
    assert.deepEqual(
      body.predictions.map((p) => p.id),
      [prediction(11, 1).id, prediction(11, 5).id],
      'the newest prediction of each horizon',
    );
    assert.deepEqual(body.predictions[1], prediction(11, 5), 'the stored prediction, unchanged');
  });

  it('pages history with search_after on (featureTime, id), each prediction once', async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages += 1) {
      const response = await get(
        `/v1/predictions?pair=BTC/USDT&from=${T0}&limit=5&order=asc${cursor === null ? '' : `&cursor=${cursor}`}`,
      );
      assert.equal(response.status, 200);
      const page = (await response.json()) as { predictions: Prediction[]; nextCursor: string | null };
      ids.push(...page.predictions.map((p) => p.id));
      cursor = page.nextCursor;
      if (cursor === null) break;
    }
    const expected = predictions
      .filter((p) => p.pair === 'BTC/USDT' && p.featureTime >= T0)
      .sort((a, b) => a.featureTime - b.featureTime || (a.id < b.id ? -1 : 1))
      .map((p) => p.id);
    assert.deepEqual(ids, expected, '24 predictions in pages of 5, in (featureTime, id) order, none twice or lost');
  });

  it('filters history by horizon and time range', async () => {
    const response = await get(
      `/v1/predictions?pair=btc-usdt&horizon=1&from=${T0 + 2 * MINUTE}&to=${new Date(T0 + 4 * MINUTE).toISOString()}&order=asc`,
    );
    const page = (await response.json()) as { predictions: Prediction[] };
    assert.deepEqual(
      page.predictions.map((p) => p.id),
      [prediction(2, 1).id, prediction(3, 1).id, prediction(4, 1).id],
    );
  });

  it('aggregates performance from the error records, and the naive forecast alike', async () => {
    const response = await get('/v1/performance?pair=BTC/USDT&window=1d');
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      horizons: {
        horizon: number;
        count: number;
        mae: number;
        rmse: number;
        directionalAccuracy: number;
        coverage: number;
        naive: { mae: number; rmse: number };
      }[];
    };
    const scoredOnly = errors.filter((e) => e.status === 'scored');
    const abs = scoredOnly.map((e) => e.absError ?? Number.NaN);
    const naive = scoredOnly.map((e) => e.naiveAbsError ?? Number.NaN);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const h5 = body.horizons.find((h) => h.horizon === 5);
    assert.ok(h5 !== undefined, 'horizon 5 must have metrics');
    assert.equal(h5.count, 3, 'only scored records count');
    const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);
    near(h5.mae, mean(abs), 'MAE');
    near(h5.rmse, Math.sqrt(mean(abs.map((x) => x * x))), 'RMSE');
    near(h5.naive.mae, mean(naive), 'naive MAE');
    near(h5.naive.rmse, Math.sqrt(mean(naive.map((x) => x * x))), 'naive RMSE');
    const known = scoredOnly.filter((e) => e.directionCorrect !== null);
    near(
      h5.directionalAccuracy,
      known.filter((e) => e.directionCorrect === true).length / known.length,
      'directional accuracy',
    );
    near(h5.coverage, 2 / 3, 'coverage');
  });

  it('answers 401 for a key revoked with the CLI', async () => {
    const second = (await keysCli(['create', '--name', 'to-revoke'], db)).stdout.trim();
    assert.equal((await get('/v1/pairs', { 'x-api-key': second })).status, 200);
    const listed = (await keysCli(['list'], db)).stdout;
    const id = /^(\d+)\tto-revoke\t/m.exec(listed)?.[1];
    assert.ok(id !== undefined, `the CLI must list the key: ${listed}`);
    await keysCli(['revoke', '--id', id], db);
    const response = await get('/v1/pairs', { 'x-api-key': second });
    assert.equal(response.status, 401);
    assert.match(((await response.json()) as { message: string }).message, /revoked/);
  });

  it('is ready when its stores answer', async () => {
    const response = await fetch(`${app.url}/readyz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ready: true, checks: { elasticsearch: true, postgres: true } });
  });
});
