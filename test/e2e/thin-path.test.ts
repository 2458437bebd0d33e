// One thin, real path through all seven services against the real local stack (Kafka,
// Elasticsearch, PostgreSQL, MLflow): real 2024 candles become features in the feature store, the
// Python trainer fits naive and ridge and registers an ONNX model in MLflow, then two hours of trades
// expanded from the real candles flow through trade-to-ohlc, technical-indicators, price-predictor
// (the model run in onnxruntime-node), Elasticsearch, the API and the monitor, while the sentiment
// extractor scores a replayed news file. The assertions are on values, computed here independently.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import {
  createElasticClient,
  indexName,
  TOPICS,
  type Candle,
  type ElasticClient,
  type Kafka,
  type Prediction,
  type PredictionError,
} from '@crypto-predict/core';
import { readBinanceCandles, sharedDataDir } from '@crypto-predict/core/market-data';
import { collectTopic, eventually, testKafka } from '@crypto-predict/core/testing';
import { startSandbox, type Sandbox } from '../../scripts/lib/sandbox.js';
import { stackEnv } from '@crypto-predict/core';

const PAIR = 'BTC/USDT';
const TRAIN = { from: '2024-11-01', to: '2024-12-01' };
const REPLAY = { from: '2024-12-01T00:00:00Z', to: '2024-12-01T02:00:00Z' };
const HORIZONS = [1, 5, 15, 60];
const MINUTE = 60_000;

describe('the thin path through all seven services', { timeout: 15 * 60_000 }, () => {
  const replayFrom = Date.parse(REPLAY.from);
  const replayTo = Date.parse(REPLAY.to);
  const reference = new Map<number, Candle>(); // openTime -> the real Binance candle
  let sandbox: Sandbox | undefined;
  let id = '';
  let modelName = '';
  let apiPort = 0;
  let apiKey = '';
  let trained: Record<string, unknown> = {};
  let kafka: Kafka;
  const elastic: ElasticClient = createElasticClient(stackEnv().elasticsearchUrl);

  before(async () => {
    for await (const candle of readBinanceCandles({ from: replayFrom - 60 * MINUTE, to: replayTo + 60 * MINUTE })) {
      reference.set(candle.openTime, candle);
    }
    sandbox = await startSandbox({
      label: 'e2e',
      pair: PAIR,
      train: TRAIN,
      replay: { ...REPLAY, speed: 0 },
      news: {
        file: join(sharedDataDir(), 'news', 'cryptopanic_2025-11-14_2025-11-17.csv.gz'),
        speed: 0,
        from: '2025-11-16T08:00:00Z',
        to: '2025-11-16T10:00:00Z',
      },
    });
    ({ id, modelName, apiPort, apiKey, trained } = sandbox);
    kafka = testKafka(id);
  });

  after(async () => {
    await elastic.close();
    await sandbox?.cleanup();
  });

  it('the trainer compared the model with naive and registered it with an ONNX artifact', () => {
    assert.equal(trained.ok, true, `training succeeded: ${JSON.stringify(trained).slice(0, 300)}`);
    assert.equal(trained.modelName, modelName, 'registered under the test model name');
    assert.match(String(trained.version), /^[0-9]+$/, 'a model version was created');
  });

  it('1-minute candles equal the real Binance candles they were expanded from', async () => {
    const expected = [...reference.values()].filter((c) => c.openTime >= replayFrom && c.openTime < replayTo);
    const candles = await collectTopic(
      kafka,
      id,
      TOPICS.candles,
      (seen) => seen.filter((c) => c.timeframe === '1m' && c.openTime < replayTo).length >= expected.length,
      120_000,
    );
    const byOpen = new Map(candles.filter((c) => c.timeframe === '1m').map((c) => [c.openTime, c]));
    for (const want of expected) {
      const got = byOpen.get(want.openTime);
      assert.ok(got !== undefined, `a 1m candle opening at ${new Date(want.openTime).toISOString()}`);
      for (const field of ['open', 'high', 'low', 'close', 'trades', 'empty'] as const) {
        assert.equal(got[field], want[field], `${field} of the candle at ${want.openTime}`);
      }
      for (const field of ['volume', 'vwap', 'buyVolume', 'sellVolume'] as const) {
        const scale = Math.max(Math.abs(want[field]), 1e-12);
        assert.ok(Math.abs(got[field] - want[field]) / scale < 1e-9, `${field} of the candle at ${want.openTime}`);
      }
    }
  });

  let predictions: Prediction[] = [];

  it('the predictor served the registered ONNX model for every horizon, with consistent intervals', async () => {
    // Feature rows exist for every replayed minute; the last one closes at replayTo.
    predictions = await collectTopic(
      kafka,
      id,
      TOPICS.predictions,
      (seen) => seen.some((p) => p.featureTime === replayTo && p.horizon === 60),
      180_000,
    );
    const served = predictions.filter((p) => p.model.servedBy === 'pinned');
    assert.ok(served.length >= 100 * HORIZONS.length, `most rows served by the pinned model (got ${served.length})`);
    for (const p of served) {
      assert.equal(p.model.name, modelName);
      assert.equal(p.model.version, String(trained.version));
      assert.equal(p.targetTime, p.featureTime + p.horizon * MINUTE, 'target = feature time + horizon');
      assert.ok(Math.abs(p.predictedPrice - p.lastClose * Math.exp(p.predictedLogReturn)) < 1e-6 * p.lastClose);
      assert.ok(p.lower < p.predictedPrice && p.predictedPrice < p.upper, 'the interval brackets the prediction');
      const reference1m = reference.get(p.featureTime - MINUTE);
      assert.equal(p.lastClose, reference1m?.close, 'last close is the close of the candle the features came from');
    }
    assert.deepEqual(
      [...new Set(served.map((p) => p.horizon))].sort((a, b) => a - b),
      HORIZONS,
    );
  });

  it('the API returns the latest prediction for a valid key and 401 without one', async () => {
    const url = `http://127.0.0.1:${apiPort}/v1/predictions/latest?pair=${encodeURIComponent(PAIR)}&horizon=5`;
    const unauthorised = await fetch(url);
    assert.equal(unauthorised.status, 401, 'no key, no prediction');
    const wrongKey = await fetch(url, { headers: { authorization: 'Bearer not-a-key' } });
    assert.equal(wrongKey.status, 401, 'an unknown key is refused');

    const latest = predictions.filter((p) => p.horizon === 5).reduce((a, b) => (b.featureTime > a.featureTime ? b : a));
    const body = await eventually(
      'the API to serve the newest 5-minute prediction',
      async () => {
        const response = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
        if (response.status !== 200) return undefined;
        const json = (await response.json()) as { pair: string; predictions: Prediction[] };
        const served = json.predictions.find((p) => p.horizon === 5);
        return served?.id === latest.id ? served : undefined;
      },
      60_000,
    );
    assert.equal(body.predictedPrice, latest.predictedPrice, 'the API serves what the predictor produced');
    assert.equal(body.lower, latest.lower);
    assert.equal(body.upper, latest.upper);
  });

  it('the monitor scored predictions whose horizon has passed, with the right arithmetic', async () => {
    const index = indexName(id, 'prediction-errors');
    const records = await eventually(
      'error records in Elasticsearch',
      async () => {
        await elastic.indices.refresh({ index, ignore_unavailable: true });
        const response = await elastic.search<PredictionError>({
          index,
          size: 1000,
          query: { term: { status: 'scored' } },
          ignore_unavailable: true,
        });
        const hits = response.hits.hits.flatMap((hit) => (hit._source === undefined ? [] : [hit._source]));
        return hits.length >= 100 ? hits : undefined;
      },
      120_000,
    );
    const byId = new Map(predictions.map((p) => [p.id, p]));
    for (const record of records) {
      const prediction = byId.get(record.predictionId);
      assert.ok(prediction !== undefined, `record ${record.predictionId} scores a real prediction`);
      const actual = reference.get(record.targetTime - MINUTE)?.close;
      assert.equal(record.actualPrice, actual, 'actual = close of the 1m candle closing at the target time');
      if (actual === undefined || record.error === null) continue;
      assert.ok(Math.abs(record.error - (prediction.predictedPrice - actual)) < 1e-9, 'error = predicted - actual');
      assert.ok(Math.abs((record.absError ?? -1) - Math.abs(prediction.predictedPrice - actual)) < 1e-9);
      assert.ok(Math.abs((record.naiveError ?? 0) - (prediction.lastClose - actual)) < 1e-9, 'naive error');
      assert.equal(record.inInterval, prediction.lower <= actual && actual <= prediction.upper);
    }
  });

  it('the sentiment extractor turned the replayed news file into per-coin sentiment', async () => {
    const sentiment = await collectTopic(kafka, id, TOPICS.sentiment, (seen) => seen.length >= 20, 120_000);
    const news = await collectTopic(kafka, id, TOPICS.news, (seen) => seen.length >= 20, 60_000);
    const newsIds = new Set(news.map((item) => item.id));
    for (const item of sentiment) {
      assert.ok(newsIds.has(item.newsId), 'every sentiment message scores a news item that was published');
      assert.ok(item.score >= -1 && item.score <= 1);
    }
    assert.ok(
      sentiment.some((item) => item.coin === 'BTC'),
      'bitcoin news is scored for BTC',
    );
  });
});
