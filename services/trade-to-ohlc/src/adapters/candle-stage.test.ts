import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AppError,
  createLogger,
  createMetricsRegistry,
  DeadLetter,
  type Candle,
  type Received,
  type Trade,
} from '@crypto-predict/core';
import { CandleAggregator, DEFAULT_AGGREGATOR_OPTIONS } from '../domain/candle-aggregator.js';
import { createMetrics } from '../metrics.js';
import { trade } from '../test-support/reference-candles.js';
import { CandleStage, type CandleOutput } from './candle-stage.js';

const T0 = Date.UTC(2024, 7, 8, 12, 0);
const MIN = 60_000;

function received(trades: Trade[], firstOffset: number, timestamp = T0 + 10 * MIN): Received<Trade>[] {
  return trades.map((value, i) => ({
    value,
    key: value.pair,
    topic: 't.trades',
    partition: 0,
    offset: String(firstOffset + i),
    timestamp,
  }));
}

function setup(options: { failFirstPublishes?: number } = {}) {
  const published: Candle[] = [];
  const letters: DeadLetter[] = [];
  let failures = options.failFirstPublishes ?? 0;
  const output: CandleOutput = {
    publishCandles: (candles) => {
      if (failures > 0) {
        failures -= 1;
        return Promise.reject(new AppError('KAFKA_UNAVAILABLE', 'broker down'));
      }
      published.push(...candles);
      return Promise.resolve();
    },
    publishDeadLetters: (list) => {
      letters.push(...list);
      return Promise.resolve();
    },
  };
  let now = T0 + 10 * MIN;
  const clock = { advance: (ms: number) => (now += ms) };
  const registry = createMetricsRegistry('trade-to-ohlc-test');
  const stage = new CandleStage(
    new CandleAggregator({ ...DEFAULT_AGGREGATOR_OPTIONS, timeframes: ['1m'], graceMs: 0, lateTradePolicy: 'reject' }),
    output,
    createMetrics(registry),
    createLogger('trade-to-ohlc-test', 'silent'),
    { service: 'trade-to-ohlc', now: () => now },
  );
  return { stage, published, letters, clock, registry };
}

describe('CandleStage', () => {
  it('publishes the candles a batch closes', async () => {
    const { stage, published } = setup();
    await stage.handle(received([trade(T0 + 1_000, 100, 1), trade(T0 + 30_000, 101, 1), trade(T0 + MIN, 102, 1)], 0));
    assert.deepEqual(
      published.map((c) => [c.openTime, c.close]),
      [[T0, 101]],
      'the closed minute is published',
    );
  });

  it('on a retried batch publishes the same output without counting its trades twice', async () => {
    const { stage, published, registry } = setup({ failFirstPublishes: 1 });
    const batch = received([trade(T0 + 1_000, 100, 1), trade(T0 + 30_000, 101, 2), trade(T0 + MIN, 102, 1)], 0);
    await assert.rejects(
      stage.handle(batch),
      /broker down/,
      'a failed publish fails the batch, so its offsets stay uncommitted',
    );
    await stage.handle(batch);
    assert.equal(published.length, 1, 'published once');
    assert.equal(published[0]?.volume, 3, 'the volume counts each trade once');
    assert.equal(published[0]?.trades, 2, 'and so does the count');
    assert.equal(stage.processed, 3, 'three trades handled');
    const metrics = await registry.getSingleMetricAsString('trade_to_ohlc_candles_out_total');
    assert.match(metrics, /timeframe="1m",kind="final"[^\n]* 1/, 'the candle is counted once');
  });

  it('dead-letters refused trades with the reason and goes on', async () => {
    const { stage, letters, published } = setup();
    await stage.handle(received([trade(T0 + 1_000, 100, 1), trade(T0 + 2 * MIN, 102, 1)], 0));
    await stage.handle(
      received([trade(T0 + 5_000, 99, 1), trade(T0 + 20 * MIN, 100, 1, 'buy', 'BTC/USDT', 'future')], 2, T0 + 2 * MIN),
    );
    assert.equal(letters.length, 2, 'both refused trades are dead-lettered');
    assert.ok(
      letters.every((l) => DeadLetter.safeParse(l).success),
      'dead letters satisfy the DeadLetter schema',
    );
    assert.match(letters[0]?.reason ?? '', /\(late\)/, 'the late trade says late');
    assert.match(letters[1]?.reason ?? '', /\(future\)/, 'the trade from the future says future');
    assert.equal(letters[0]?.offset, '2', 'the letter points at the message');
    await stage.handle(received([trade(T0 + 3 * MIN, 103, 1)], 4));
    assert.ok(published.length >= 3, 'the stage goes on after refusing trades');
  });

  it('flushes the open windows once the trades have been idle long enough', async () => {
    const { stage, published, clock } = setup();
    await stage.handle(received([trade(T0 + 1_000, 100, 1)], 0));
    await stage.flushIfIdle(5_000);
    assert.equal(published.length, 0, 'not idle yet');
    clock.advance(5_000);
    await stage.flushIfIdle(5_000);
    assert.deepEqual(
      published.map((c) => c.openTime),
      [T0],
      'the last window is emitted after the idle time',
    );
    await stage.flushIfIdle(5_000);
    assert.equal(published.length, 1, 'and only once');
  });
});
