import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Candle } from '@crypto-predict/core';
import { readBinanceCandles } from '@crypto-predict/core/market-data';
import { CandleAggregator, DEFAULT_AGGREGATOR_OPTIONS } from '../../domain/candle-aggregator.js';
import { assertCandleEqual, referenceRollup } from '../../test-support/reference-candles.js';
import { emptyExpansionStats } from './candle-expansion.js';
import { readExpandedCandles } from './expanded-candles.js';

const MIN = 60_000;

async function realCandles(from: number, to: number): Promise<Candle[]> {
  const out: Candle[] = [];
  for await (const candle of readBinanceCandles({ from, to })) out.push(candle);
  return out;
}

/** Replays the expanded trades of a span through the aggregator; returns its candles by timeframe. */
async function aggregateExpanded(from: number, to: number) {
  const stats = emptyExpansionStats();
  const aggregator = new CandleAggregator(DEFAULT_AGGREGATOR_OPTIONS);
  const emitted: Candle[] = [];
  let trades = 0;
  for await (const batch of readExpandedCandles({ from, to, stats })) {
    for (const trade of batch) {
      const outcome = aggregator.add(trade);
      assert.equal(outcome.status, 'on-time', 'expanded trades arrive in order: none is late');
      for (const candle of outcome.candles) emitted.push(candle);
    }
    trades += batch.length;
  }
  emitted.push(...aggregator.flush());
  const byTimeframe = new Map<string, Candle[]>();
  for (const candle of emitted) {
    assert.equal(candle.revision, 0, 'every window is emitted once, with revision 0');
    const list = byTimeframe.get(candle.timeframe) ?? [];
    list.push(candle);
    byTimeframe.set(candle.timeframe, list);
  }
  return { byTimeframe, stats, trades };
}

function assertRollups(byTimeframe: Map<string, Candle[]>, minutes: Candle[]): void {
  for (const timeframe of ['5m', '15m', '1h'] as const) {
    const expected = referenceRollup(minutes, timeframe);
    const actual = byTimeframe.get(timeframe) ?? [];
    assert.equal(actual.length, expected.length, `${timeframe}: one candle per window`);
    expected.forEach((want, i) => {
      const got = actual[i];
      assert.ok(got !== undefined, `${timeframe} ${i} emitted`);
      assertCandleEqual(got, want, 1e-9, 'rollup of the real candles: ');
    });
  }
}

describe('oracle: trades expanded from real Binance candles aggregate back to them', () => {
  it('a full real day (2023-08-12, 311k trades): every 1m candle, and 5m/15m/1h = 1m aggregated', async () => {
    const from = Date.UTC(2023, 7, 12);
    const to = from + 24 * 60 * MIN;
    const reference = await realCandles(from, to);
    assert.equal(reference.length, 1440, 'the real file has every minute of the day');
    const { byTimeframe, stats, trades } = await aggregateExpanded(from, to);
    assert.equal(
      trades,
      reference.reduce((sum, c) => sum + c.trades, 0),
      'one expanded trade per real trade',
    );
    assert.deepEqual(
      { inflated: stats.inflated, vwapApproximate: stats.vwapApproximate },
      { inflated: 0, vwapApproximate: 0 },
      'every candle of the day expands exactly',
    );
    const minutes = byTimeframe.get('1m') ?? [];
    assert.equal(minutes.length, 1440, 'one 1m candle per minute of the day');
    reference.forEach((want, i) => {
      const got = minutes[i];
      assert.ok(got !== undefined);
      assertCandleEqual(got, want, 1e-9);
    });
    assertRollups(byTimeframe, reference);
  });

  it('the Binance outage of 2023-03-24: zero-trade minutes and missing minutes become empty candles at the previous close', async () => {
    const from = Date.UTC(2023, 2, 24, 10);
    const to = Date.UTC(2023, 2, 24, 15);
    const reference = new Map((await realCandles(from, to)).map((c) => [c.openTime, c]));
    const { byTimeframe, stats } = await aggregateExpanded(from, to);
    const minutes = byTimeframe.get('1m') ?? [];
    assert.equal(minutes.length, 300, 'every minute of the span has a candle, missing ones included');
    assert.equal(stats.noTrades, 72, 'the 72 zero-trade minutes expand to nothing');
    let missing = 0;
    let previousClose = Number.NaN;
    for (const got of minutes) {
      const want = reference.get(got.openTime);
      if (want !== undefined) {
        assertCandleEqual(got, want, 1e-9);
      } else {
        missing += 1;
        assert.ok(
          got.empty && got.open === previousClose && got.close === previousClose && got.volume === 0,
          'a minute missing from the file is empty at the previous close',
        );
      }
      previousClose = got.close;
    }
    assert.equal(missing, 80, 'the 80 minutes 12:40-13:59 missing from the file');
    assertRollups(byTimeframe, minutes);
  });
});
