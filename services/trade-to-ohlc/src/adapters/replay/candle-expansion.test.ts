import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Trade, type Candle } from '@crypto-predict/core';
import { CandleAggregator, DEFAULT_AGGREGATOR_OPTIONS } from '../../domain/candle-aggregator.js';
import { assertCandleEqual } from '../../test-support/reference-candles.js';
import { expandCandle } from './candle-expansion.js';

const T0 = Date.UTC(2024, 7, 8, 12, 0);

function candle(
  fields: Partial<Candle> & Pick<Candle, 'open' | 'high' | 'low' | 'close' | 'volume' | 'trades' | 'buyVolume'>,
): Candle {
  return {
    v: 1,
    pair: 'BTC/USDT',
    timeframe: '1m',
    openTime: T0,
    closeTime: T0 + 60_000,
    vwap: (fields.high + fields.low) / 2,
    sellVolume: fields.volume - fields.buyVolume,
    empty: fields.trades === 0,
    revision: 0,
    ...fields,
  };
}

/** Aggregates trades of one minute with the real aggregator, closing the window with a flush. */
function aggregate(trades: Trade[]): Candle | undefined {
  const agg = new CandleAggregator({ ...DEFAULT_AGGREGATOR_OPTIONS, timeframes: ['1m'] });
  for (const t of trades) agg.add(t);
  return agg.flush()[0];
}

function assertWellFormed(source: Candle, trades: Trade[]): void {
  for (const t of trades) assert.ok(Trade.safeParse(t).success, `trade ${t.tradeId} satisfies the Trade schema`);
  assert.equal(new Set(trades.map((t) => t.tradeId)).size, trades.length, 'trade ids are unique');
  for (let i = 0; i < trades.length; i += 1) {
    const t = trades[i];
    assert.ok(
      t !== undefined && t.time >= source.openTime && t.time < source.closeTime,
      'every trade lies inside the minute',
    );
    assert.ok(i === 0 || (trades[i - 1]?.time ?? 0) <= t.time, 'times never go back');
    assert.equal(t.source, 'replay-expanded', 'expanded trades are labelled as such');
  }
  assert.equal(trades[0]?.price, source.open, 'the first trade is at the open');
  assert.equal(trades[trades.length - 1]?.price, source.close, 'the last trade is at the close');
}

describe('expandCandle', () => {
  const cases: [string, Candle][] = [
    [
      'an up candle',
      candle({ open: 100, high: 110, low: 95, close: 108, volume: 12.5, trades: 40, buyVolume: 7.25, vwap: 103.1 }),
    ],
    [
      'a down candle whose open is its high',
      candle({ open: 110, high: 110, low: 95, close: 97, volume: 3, trades: 5, buyVolume: 1, vwap: 100 }),
    ],
    [
      'four trades, both sides',
      candle({ open: 100, high: 104, low: 98, close: 101, volume: 2, trades: 4, buyVolume: 0.5, vwap: 100.7 }),
    ],
    [
      'all taker buys',
      candle({ open: 100, high: 101, low: 99, close: 100.5, volume: 1, trades: 10, buyVolume: 1, vwap: 100.2 }),
    ],
    [
      'all taker sells',
      candle({ open: 100, high: 101, low: 99, close: 100.5, volume: 1, trades: 10, buyVolume: 0, vwap: 99.9 }),
    ],
    [
      'one trade at one price',
      candle({ open: 100, high: 100, low: 100, close: 100, volume: 0.01, trades: 1, buyVolume: 0.01, vwap: 100 }),
    ],
    [
      'a busy minute, more trades than milliseconds',
      candle({
        open: 100,
        high: 120,
        low: 90,
        close: 95,
        volume: 5_000,
        trades: 70_000,
        buyVolume: 2_400.123,
        vwap: 101.37,
      }),
    ],
  ];
  for (const [name, source] of cases) {
    it(`expands ${name} into trades that aggregate back to it`, () => {
      const expanded = expandCandle(source, 'binance');
      assert.equal(expanded.trades.length, source.trades, 'one trade per counted trade');
      assert.equal(expanded.inflated || expanded.vwapApproximate, false, 'an exact expansion');
      assertWellFormed(source, expanded.trades);
      const back = aggregate(expanded.trades);
      assert.ok(back !== undefined, 'the trades make a candle');
      assertCandleEqual(back, source, 1e-12);
      assert.deepEqual(expandCandle(source, 'binance'), expanded, 'the expansion is deterministic');
    });
  }

  it('expands nothing from a candle without trades', () => {
    const expanded = expandCandle(
      candle({ open: 100, high: 100, low: 100, close: 100, volume: 0, trades: 0, buyVolume: 0 }),
      'binance',
    );
    assert.deepEqual(expanded.trades, [], 'no trades');
  });

  it('keeps the prices and volumes when the count cannot carry them, and says so', () => {
    const source = candle({
      open: 100,
      high: 102,
      low: 99,
      close: 101,
      volume: 1,
      trades: 1,
      buyVolume: 0.4,
      vwap: 100.5,
    });
    const expanded = expandCandle(source, 'binance');
    assert.equal(expanded.inflated, true, 'the expansion is flagged as inflated');
    assert.ok(
      expanded.trades.length >= 4 && expanded.trades.length <= 4 + 3,
      'the smallest count that carries open, high, low and close',
    );
    assertWellFormed(source, expanded.trades);
    const back = aggregate(expanded.trades);
    assert.ok(back !== undefined);
    assertCandleEqual({ ...back, trades: source.trades }, source, 1e-12);
  });

  it('approaches a vwap sitting on the low although the open is higher, and says so', () => {
    const source = candle({
      open: 101,
      high: 101,
      low: 100,
      close: 100,
      volume: 1,
      trades: 5,
      buyVolume: 1,
      vwap: 100,
    });
    const expanded = expandCandle(source, 'binance');
    assert.equal(expanded.vwapApproximate, true, 'flagged as approximate');
    const back = aggregate(expanded.trades);
    assert.ok(back !== undefined);
    assertCandleEqual(back, source, 1e-8);
  });
});
