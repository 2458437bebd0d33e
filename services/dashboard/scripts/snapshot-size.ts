// How big and how slow a full page is: a day of real BTC/USDT 1-minute candles with four horizons
// of predictions and their error records, built into one snapshot (what the page polls), as JSON
// and gzipped. Run: node --import tsx services/dashboard/scripts/snapshot-size.ts
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import type { Candle } from '@crypto-predict/core';
import { readBinanceCandles } from '@crypto-predict/core/market-data';
import { MarketHistory } from '../src/domain/market-history.js';
import { buildSnapshot } from '../src/domain/snapshot.js';
import { predictAndScore } from '../src/testing/market.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const from = Date.UTC(2025, 0, 2);
const candles: Candle[] = [];
for await (const candle of readBinanceCandles({ from, to: from + 24 * HOUR })) candles.push(candle);
const messages = predictAndScore(candles, [1, 5, 15, 60]);
const history = new MarketHistory({
  retentionMs: 24 * HOUR,
  timeframe: '1m',
  timeframeMs: MINUTE,
  horizons: [1, 5, 15, 60],
  pairs: ['BTC/USDT'],
  maxPairs: 1,
  maxAlertsPerPair: 500,
  maxSentimentPerCoin: 5_000,
});
let started = performance.now();
for (const c of messages.candles) history.addCandle(c);
for (const p of messages.predictions) history.addPrediction(p);
for (const e of messages.errors) history.addError(e);
const ingestMs = performance.now() - started;

const options = { windowMs: HOUR, stepMs: 5 * MINUTE, sentimentBucketMs: HOUR, maxAlerts: 100, maxSentimentItems: 30 };
buildSnapshot(history, 'BTC/USDT', options); // warm-up
const rounds = 20;
started = performance.now();
let json = '';
for (let round = 0; round < rounds; round += 1) json = JSON.stringify(buildSnapshot(history, 'BTC/USDT', options));
const buildMs = (performance.now() - started) / rounds;
const gzipped = gzipSync(Buffer.from(json)).length;
console.log(
  JSON.stringify({
    candles: messages.candles.length,
    predictions: messages.predictions.length,
    errors: messages.errors.length,
    ingest_ms: Math.round(ingestMs),
    snapshot_build_and_serialize_ms: Math.round(buildMs * 10) / 10,
    snapshot_json_bytes: json.length,
    snapshot_gzip_bytes: gzipped,
  }),
);
