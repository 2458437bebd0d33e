import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Candle } from '../schemas/candle.js';
import { readBinanceCandles } from './binance-candles.js';

describe('readBinanceCandles', () => {
  it('reads a span of real candles in order, across the year boundary', async () => {
    const from = Date.UTC(2023, 11, 31, 23, 58);
    const to = Date.UTC(2024, 0, 1, 0, 3);
    const candles = [];
    for await (const candle of readBinanceCandles({ from, to })) candles.push(candle);
    assert.equal(candles.length, 5, 'five minutes from 23:58 to 00:03');
    assert.deepEqual(
      candles.map((c) => c.openTime),
      [0, 1, 2, 3, 4].map((i) => from + i * 60_000),
      'consecutive minutes in order',
    );
    for (const candle of candles) {
      assert.ok(Candle.safeParse(candle).success, 'every candle satisfies the Candle schema');
      assert.ok(candle.low <= candle.vwap && candle.vwap <= candle.high, 'vwap lies within the range');
      assert.ok(Math.abs(candle.buyVolume + candle.sellVolume - candle.volume) < 1e-9, 'buy + sell = volume');
    }
  });
});
