import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Candle, Trade } from '@crypto-predict/core';
import { readBinanceCandles, sharedDataDir } from '@crypto-predict/core/market-data';
import { CandleAggregator, DEFAULT_AGGREGATOR_OPTIONS } from '../../domain/candle-aggregator.js';
import { assertCandleEqual, referenceMinuteCandles } from '../../test-support/reference-candles.js';
import { BINANCE_TICK_CAPTURE, readTickCapture } from './tick-capture.js';
import type { BadRow, ReplayCounters } from './trade-source.js';

const MIN = 60_000;

describe('oracle: the real Binance tick capture', () => {
  it('aggregates to the 1m candles of a plain grouping of its trades, and to Binance’s own candles', async () => {
    const counters: ReplayCounters = { rows: 0, trades: 0, badRows: 0 };
    const bad: BadRow[] = [];
    const trades: Trade[] = [];
    for await (const batch of readTickCapture({
      path: join(sharedDataDir(), BINANCE_TICK_CAPTURE),
      counters,
      onBadRow: (row) => bad.push(row),
    })) {
      trades.push(...batch);
    }
    assert.deepEqual(
      counters,
      { rows: 19_904, trades: 19_904, badRows: 0 },
      'every row of the capture is a valid trade',
    );
    assert.deepEqual(bad, [], 'no bad rows');
    assert.ok(
      trades.every((t) => t.source === 'replay-ticks' && t.pair === 'BTC/USDT'),
      'real ticks are labelled replay-ticks',
    );

    const aggregator = new CandleAggregator(DEFAULT_AGGREGATOR_OPTIONS);
    const emitted: Candle[] = [];
    for (const trade of trades) {
      const outcome = aggregator.add(trade);
      assert.notEqual(outcome.status, 'rejected', 'no real trade is refused');
      emitted.push(...outcome.candles);
    }
    emitted.push(...aggregator.flush());
    const minutes = emitted.filter((c) => c.timeframe === '1m');

    const reference = referenceMinuteCandles(trades, 'BTC/USDT');
    assert.equal(minutes.length, reference.size, 'one candle per minute with trades (the capture has no gap)');
    for (const got of minutes) {
      const want = reference.get(got.openTime);
      assert.ok(want !== undefined, `minute ${got.openTime} is in the reference`);
      assertCandleEqual(got, want, 1e-12, 'grouping oracle: ');
    }

    // Minutes the capture covers whole must agree with Binance's published 1-minute candles.
    const first = Math.ceil((trades[0]?.time ?? 0) / MIN) * MIN;
    const last = Math.floor((trades[trades.length - 1]?.time ?? 0) / MIN) * MIN;
    let compared = 0;
    for await (const official of readBinanceCandles({ from: first, to: last })) {
      const got = minutes.find((c) => c.openTime === official.openTime);
      assert.ok(got !== undefined, 'the minute was emitted');
      assertCandleEqual(got, official, 1e-9, 'Binance candle: ');
      compared += 1;
    }
    assert.equal(compared, 10, 'ten whole minutes, 23:55 to 00:04, match Binance exactly');
  });
});
