import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Candle, seededRandom, type Trade } from '@crypto-predict/core';
import {
  assertCandleEqual,
  referenceMinuteCandles,
  referenceRollup,
  trade,
} from '../test-support/reference-candles.js';
import { CandleAggregator, DEFAULT_AGGREGATOR_OPTIONS, type AggregatorOptions } from './candle-aggregator.js';

const T0 = Date.UTC(2024, 7, 8, 12, 0); // a 1h boundary
const MIN = 60_000;

function aggregator(overrides: Partial<AggregatorOptions> = {}): CandleAggregator {
  return new CandleAggregator({ ...DEFAULT_AGGREGATOR_OPTIONS, ...overrides });
}

function feed(agg: CandleAggregator, trades: readonly Trade[]): Candle[] {
  const out: Candle[] = [];
  for (const t of trades) out.push(...agg.add(t).candles);
  return out;
}

function only(candles: readonly Candle[], timeframe: string): Candle[] {
  return candles.filter((c) => c.timeframe === timeframe);
}

describe('CandleAggregator: closing windows', () => {
  it('emits a 1-minute candle once the watermark passes its end, with every field', () => {
    const agg = aggregator({ timeframes: ['1m'] });
    const out = feed(agg, [
      trade(T0 + 1_000, 100, 1, 'buy'),
      trade(T0 + 20_000, 110, 2, 'sell'),
      trade(T0 + 40_000, 90, 1, 'buy'),
      trade(T0 + 59_999, 105, 4, 'sell'),
    ]);
    assert.deepEqual(out, [], 'nothing is emitted while the window is open');
    assert.deepEqual(agg.add(trade(T0 + MIN + 1_999, 106, 1)).candles, [], 'the grace period keeps the window open');
    const closed = agg.add(trade(T0 + MIN + 2_000, 107, 1)).candles;
    assert.equal(closed.length, 1, 'the window closes when the watermark reaches its end');
    const candle = closed[0];
    assert.ok(candle !== undefined && Candle.safeParse(candle).success, 'the candle satisfies the Candle schema');
    assert.deepEqual(
      { ...candle, vwap: Number(candle.vwap.toFixed(9)) },
      {
        v: 1,
        pair: 'BTC/USDT',
        timeframe: '1m',
        openTime: T0,
        closeTime: T0 + MIN,
        open: 100,
        high: 110,
        low: 90,
        close: 105,
        volume: 8,
        vwap: Number(((100 + 220 + 90 + 420) / 8).toFixed(9)),
        trades: 4,
        buyVolume: 2,
        sellVolume: 6,
        empty: false,
        revision: 0,
      },
      'open is the first trade, close the last, vwap Σp·q/Σq, volumes split by taker side',
    );
    assert.deepEqual(agg.add(trade(T0 + MIN + 30_000, 108, 1)).candles, [], 'a closed window is never emitted twice');
  });

  it('takes open and close by event time, ties by arrival, for trades out of order inside the grace', () => {
    const agg = aggregator({ timeframes: ['1m'], graceMs: 5_000 });
    feed(agg, [
      trade(T0 + 10_000, 101, 1),
      trade(T0 + 5_000, 100, 1), // earlier: becomes the open
      trade(T0 + 5_000, 99, 1), // same time, later arrival: not the open
      trade(T0 + 50_000, 102, 1),
      trade(T0 + 50_000, 103, 1), // same time, later arrival: the close
      trade(T0 + MIN + 3_000, 200, 1), // next window, watermark still before T0+MIN
      trade(T0 + 30_000, 98, 1), // late by arrival but inside the grace: on time
    ]);
    const [candle] = agg.add(trade(T0 + MIN + 5_000, 201, 1)).candles;
    assert.equal(candle?.open, 100, 'open is the earliest trade, the first to arrive among equals');
    assert.equal(candle?.close, 103, 'close is the latest trade, the last to arrive among equals');
    assert.equal(candle?.low, 98, 'an out-of-order trade inside the grace counts');
    assert.equal(candle?.trades, 6, 'every trade of the window is counted');
  });

  it('emits windows with no trades as empty candles carrying the previous close', () => {
    const agg = aggregator({ timeframes: ['1m', '5m'], graceMs: 0 });
    feed(agg, [trade(T0 + 1_000, 100, 1), trade(T0 + 30_000, 101, 1)]);
    const out = agg.add(trade(T0 + 4 * MIN + 10_000, 120, 2)).candles;
    assert.deepEqual(
      only(out, '1m').map((c) => [c.openTime - T0, c.empty, c.open, c.close, c.volume, c.vwap, c.trades]),
      [
        [0, false, 100, 101, 2, 100.5, 2],
        [MIN, true, 101, 101, 0, 101, 0],
        [2 * MIN, true, 101, 101, 0, 101, 0],
        [3 * MIN, true, 101, 101, 0, 101, 0],
      ],
      'each skipped minute is an empty candle at the previous close',
    );
    for (const c of out) assert.ok(Candle.safeParse(c).success, 'empty candles satisfy the Candle schema');
    const later = agg.add(trade(T0 + 11 * MIN, 130, 1)).candles;
    const fives = only(later, '5m');
    assert.equal(fives.length, 2, 'two 5m windows closed');
    assert.deepEqual(
      fives.map((c) => [c.openTime - T0, c.empty, c.open, c.high, c.low, c.close, c.trades]),
      [
        [0, false, 100, 120, 100, 120, 3],
        [5 * MIN, true, 120, 120, 120, 120, 0],
      ],
      'a 5m window with no trades is empty at the previous close',
    );
  });

  it('keeps pairs apart: each has its own watermark', () => {
    const agg = aggregator({ timeframes: ['1m'], graceMs: 0 });
    agg.add(trade(T0 + 1_000, 100, 1, 'buy', 'BTC/USDT'));
    agg.add(trade(T0 + 2_000, 10, 1, 'buy', 'ETH/USDT'));
    const out = agg.add(trade(T0 + 2 * MIN, 101, 1, 'buy', 'BTC/USDT')).candles;
    assert.deepEqual(
      out.map((c) => c.pair),
      ['BTC/USDT', 'BTC/USDT'],
      'only the pair whose time moved closes windows',
    );
    assert.equal(agg.watermark('ETH/USDT'), T0 + 2_000, 'the other pair keeps its watermark');
  });

  it('flush closes the windows holding trades, and only those', () => {
    const agg = aggregator({ graceMs: 2_000 });
    feed(agg, [trade(T0 + 1_000, 100, 1), trade(T0 + 3 * MIN + 5_000, 101, 1)]);
    assert.equal(agg.hasOpenWindows(), true, 'the last trade sits in an open window');
    const out = agg.flush();
    assert.deepEqual(
      out.map((c) => `${c.timeframe}@${(c.openTime - T0) / MIN}`),
      ['1m@3'],
      'flush emits the last minute; the 5m window is not over yet',
    );
    assert.equal(agg.hasOpenWindows(), false, 'nothing is left open after a flush');
    assert.deepEqual(agg.flush(), [], 'a second flush emits nothing');
    const late = agg.add(trade(T0 + 3 * MIN + 6_000, 102, 1));
    assert.equal(late.status, 'revised', 'a trade for a flushed window is late');
  });
});

describe('CandleAggregator: late trades', () => {
  it('revises a closed window and the higher windows holding it, with revision + 1', () => {
    const agg = aggregator({ timeframes: ['1m', '5m'], graceMs: 0 });
    feed(agg, [trade(T0 + 1_000, 100, 1), trade(T0 + 2 * MIN + 1_000, 102, 1), trade(T0 + 5 * MIN + 1_000, 105, 1)]);
    const outcome = agg.add(trade(T0 + 30_000, 90, 3, 'sell'));
    assert.equal(outcome.status, 'revised', 'a trade for a closed window revises it');
    assert.deepEqual(
      outcome.candles.map((c) => [c.timeframe, (c.openTime - T0) / MIN, c.revision, c.low, c.trades, c.sellVolume]),
      [
        ['1m', 0, 1, 90, 2, 3],
        ['1m', 1, 1, 90, 0, 0],
        ['5m', 0, 1, 90, 3, 3],
      ],
      'the 1m window, the empty one after it (its close changed) and the closed 5m window are emitted again, revision 1',
    );
    const again = agg.add(trade(T0 + 40_000, 95, 1));
    assert.deepEqual(
      again.candles.map((c) => [c.timeframe, c.revision]),
      [
        ['1m', 2],
        ['1m', 2],
        ['5m', 2],
      ],
      'each further late trade adds one revision',
    );
  });

  it('carries a revised close into the empty windows after it', () => {
    const agg = aggregator({ timeframes: ['1m'], graceMs: 0 });
    feed(agg, [trade(T0 + 1_000, 100, 1), trade(T0 + 3 * MIN + 1_000, 103, 1)]);
    const outcome = agg.add(trade(T0 + 59_000, 99, 1));
    assert.deepEqual(
      outcome.candles.map((c) => [(c.openTime - T0) / MIN, c.revision, c.empty, c.close]),
      [
        [0, 1, false, 99],
        [1, 1, true, 99],
        [2, 1, true, 99],
      ],
      'the empty windows now carry the revised close',
    );
    const filled = agg.add(trade(T0 + MIN + 1_000, 98, 1));
    assert.deepEqual(
      filled.candles.map((c) => [(c.openTime - T0) / MIN, c.revision, c.empty, c.close]),
      [
        [1, 2, false, 98],
        [2, 2, true, 98],
      ],
      'a late trade in an empty window fills it',
    );
  });

  it('refuses late trades under the reject policy, with the reason', () => {
    const agg = aggregator({ timeframes: ['1m'], graceMs: 0, lateTradePolicy: 'reject' });
    feed(agg, [trade(T0 + 1_000, 100, 1), trade(T0 + 2 * MIN, 101, 1)]);
    const outcome = agg.add(trade(T0 + 2_000, 100, 1));
    assert.equal(outcome.status, 'rejected', 'the late trade is refused');
    if (outcome.status === 'rejected') {
      assert.equal(outcome.reason, 'late', 'the reason is late');
      assert.match(outcome.message, /already closed/, 'the message says why');
    }
  });

  it('refuses trades later than the max lateness, and before the first window', () => {
    const agg = aggregator({ timeframes: ['1m', '5m'], graceMs: 0, maxLatenessMs: 10 * MIN });
    feed(agg, [trade(T0 + 1_000, 100, 1), trade(T0 + 30 * MIN, 101, 1)]);
    const tooLate = agg.add(trade(T0 + 2_000, 100, 1));
    assert.equal(tooLate.status === 'rejected' && tooLate.reason, 'too-late', 'beyond the max lateness is too late');
    const inReach = agg.add(trade(T0 + 21 * MIN, 100, 1));
    assert.equal(inReach.status, 'revised', 'inside the max lateness it revises');
    const before = agg.add(trade(T0 - 5 * MIN, 100, 1));
    assert.equal(
      before.status === 'rejected' && before.reason,
      'too-late',
      'a trade before the series started is refused',
    );
  });

  it('refuses a trade stamped too far after it was received', () => {
    const agg = aggregator({ maxFutureSkewMs: 60_000 });
    const outcome = agg.add(trade(T0 + 61_000, 100, 1), T0);
    assert.equal(outcome.status === 'rejected' && outcome.reason, 'future', 'a trade from the future is refused');
    assert.equal(agg.pairNames().length, 0, 'a refused trade leaves no state');
    assert.equal(agg.add(trade(T0 + 60_000, 100, 1), T0).status, 'on-time', 'inside the skew it is accepted');
  });
});

describe('CandleAggregator: higher timeframes and determinism', () => {
  /** Random trades with gaps, bursts, reordering inside the grace and some late ones. */
  function randomTrades(seed: number, count: number): Trade[] {
    const random = seededRandom(seed);
    const trades: Trade[] = [];
    let time = T0 + 17_000;
    let price = 60_000;
    for (let i = 0; i < count; i += 1) {
      const roll = random();
      time += roll < 0.01 ? Math.floor(random() * 20 * MIN) : Math.floor(random() * 3_000);
      price = Math.max(1, price * (1 + (random() - 0.5) * 0.002));
      const jitter = random() < 0.2 ? -Math.floor(random() * 1_500) : 0; // out of order, inside the 2 s grace
      const late = random() < 0.003 ? -Math.floor(random() * 30 * MIN) : 0;
      trades.push(
        trade(
          time + jitter + late,
          Number(price.toFixed(2)),
          Number((random() * 2 + 0.0001).toFixed(5)),
          random() < 0.5 ? 'buy' : 'sell',
          'BTC/USDT',
          `t${i}`,
        ),
      );
    }
    return trades;
  }

  /** The latest revision of each (timeframe, openTime). */
  function latest(candles: Candle[]): Map<string, Candle> {
    const out = new Map<string, Candle>();
    for (const c of candles) {
      const key = `${c.timeframe}@${c.openTime}`;
      const before = out.get(key);
      assert.ok(
        before === undefined ? c.revision === 0 : c.revision === before.revision + 1,
        `${key}: revisions go 0, 1, 2...`,
      );
      out.set(key, c);
    }
    return out;
  }

  it('5m, 15m and 1h candles equal their 1m candles aggregated, revisions included', () => {
    const agg = aggregator();
    const candles = [...feed(agg, randomTrades(7, 20_000)), ...agg.flush()];
    const final = latest(candles);
    const minutes = [...final.values()].filter((c) => c.timeframe === '1m').sort((a, b) => a.openTime - b.openTime);
    assert.ok(
      minutes.some((c) => c.empty) && minutes.some((c) => c.revision > 0),
      'the case has empty and revised windows',
    );
    for (const timeframe of ['5m', '15m', '1h'] as const) {
      const expected = referenceRollup(minutes, timeframe);
      const closed = expected.filter((c) => final.has(`${timeframe}@${c.openTime}`));
      assert.ok(closed.length >= expected.length - 1, `${timeframe}: every window but the open last one was emitted`);
      for (const want of closed) {
        const got = final.get(`${timeframe}@${want.openTime}`);
        assert.ok(got !== undefined, 'emitted');
        assertCandleEqual({ ...got, revision: 0 }, want, 1e-9);
      }
    }
  });

  it('1m candles equal a plain grouping of the trades, late ones included', () => {
    const trades = randomTrades(11, 5_000);
    const agg = aggregator({ maxLatenessMs: 24 * 60 * MIN });
    const final = latest([...feed(agg, trades), ...agg.flush()]);
    const reference = referenceMinuteCandles(trades, 'BTC/USDT');
    for (const [minute, want] of reference) {
      const got = final.get(`1m@${minute}`);
      assert.ok(got !== undefined, `minute ${minute} was emitted`);
      assertCandleEqual({ ...got, revision: 0 }, want, 1e-12);
    }
  });

  it('gives the same output after a snapshot and restore as without one', () => {
    const trades = randomTrades(3, 6_000);
    const whole = aggregator();
    const expected = [...feed(whole, trades), ...whole.flush()];

    const first = aggregator();
    const before = feed(first, trades.slice(0, 3_000));
    const stored = JSON.parse(JSON.stringify(first.snapshot())) as unknown;
    const second = CandleAggregator.restore(DEFAULT_AGGREGATOR_OPTIONS, stored);
    const after = [...feed(second, trades.slice(3_000)), ...second.flush()];
    assert.deepEqual([...before, ...after], expected, 'the restored aggregator continues exactly');
    assert.deepEqual(second.snapshot(), whole.snapshot(), 'and ends in the same state');
  });

  it('refuses a broken snapshot and timeframes that are not whole minutes', () => {
    assert.throws(
      () => CandleAggregator.restore(DEFAULT_AGGREGATOR_OPTIONS, { v: 1, pairs: [{ pair: 'x' }] }),
      /snapshot is invalid/,
    );
    assert.throws(() => aggregator({ timeframes: [] }), /no timeframe/);
  });
});
