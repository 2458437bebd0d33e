import assert from 'node:assert/strict';
import { timeframeMs, type Candle, type Timeframe, type Trade } from '@crypto-predict/core';

/**
 * Test oracles written independently of the aggregator: plain grouping with a Map, no
 * watermarks, no state machine. Used to check the code under test, never the other way round.
 */

/** 1-minute candles from trades, grouped by minute; trades are taken in the order given. */
export function referenceMinuteCandles(trades: readonly Trade[], pair: string): Map<number, Candle> {
  const groups = new Map<number, Trade[]>();
  for (const trade of trades) {
    const minute = trade.time - (trade.time % 60_000);
    const list = groups.get(minute);
    if (list === undefined) groups.set(minute, [trade]);
    else list.push(trade);
  }
  const out = new Map<number, Candle>();
  for (const [minute, list] of groups) {
    // Stable sort by time: ties keep arrival order.
    const byTime = [...list].sort((a, b) => a.time - b.time);
    const first = byTime[0];
    const last = byTime[byTime.length - 1];
    if (first === undefined || last === undefined) continue;
    const volume = list.reduce((sum, t) => sum + t.qty, 0);
    out.set(minute, {
      v: 1,
      pair,
      timeframe: '1m',
      openTime: minute,
      closeTime: minute + 60_000,
      open: first.price,
      high: Math.max(...list.map((t) => t.price)),
      low: Math.min(...list.map((t) => t.price)),
      close: last.price,
      volume,
      vwap: list.reduce((sum, t) => sum + t.price * t.qty, 0) / volume,
      trades: list.length,
      buyVolume: list.filter((t) => t.side === 'buy').reduce((sum, t) => sum + t.qty, 0),
      sellVolume: list.filter((t) => t.side === 'sell').reduce((sum, t) => sum + t.qty, 0),
      empty: false,
      revision: 0,
    });
  }
  return out;
}

/** Higher-timeframe candles as the plain aggregate of consecutive 1-minute candles. */
export function referenceRollup(minutes: readonly Candle[], timeframe: Timeframe): Candle[] {
  const ms = timeframeMs(timeframe);
  const groups = new Map<number, Candle[]>();
  for (const candle of minutes) {
    const start = candle.openTime - (candle.openTime % ms);
    const list = groups.get(start);
    if (list === undefined) groups.set(start, [candle]);
    else list.push(candle);
  }
  const out: Candle[] = [];
  for (const [start, list] of [...groups.entries()].sort(([a], [b]) => a - b)) {
    const traded = list.filter((c) => !c.empty);
    const first = traded[0];
    const last = traded[traded.length - 1];
    const carry = list[0]?.close ?? Number.NaN;
    const volume = traded.reduce((sum, c) => sum + c.volume, 0);
    out.push({
      v: 1,
      pair: list[0]?.pair ?? '',
      timeframe,
      openTime: start,
      closeTime: start + ms,
      open: first?.open ?? carry,
      high: first === undefined ? carry : Math.max(...traded.map((c) => c.high)),
      low: first === undefined ? carry : Math.min(...traded.map((c) => c.low)),
      close: last?.close ?? carry,
      volume,
      vwap: first === undefined ? carry : traded.reduce((sum, c) => sum + c.vwap * c.volume, 0) / volume,
      trades: traded.reduce((sum, c) => sum + c.trades, 0),
      buyVolume: traded.reduce((sum, c) => sum + c.buyVolume, 0),
      sellVolume: traded.reduce((sum, c) => sum + c.sellVolume, 0),
      empty: first === undefined,
      revision: 0,
    });
  }
  return out;
}

const EXACT_FIELDS = [
  'pair',
  'timeframe',
  'openTime',
  'closeTime',
  'open',
  'high',
  'low',
  'close',
  'trades',
  'empty',
  'revision',
] as const;

/**
 * Asserts two candles agree: prices, times, counts and flags exactly; volume and vwap within
 * `relative` of the expected value; buy and sell volume within `relative` of the volume.
 */
export function assertCandleEqual(actual: Candle, expected: Candle, relative = 1e-9, what = ''): void {
  const label = `${what}${expected.timeframe} ${new Date(expected.openTime).toISOString()}`;
  for (const field of EXACT_FIELDS) {
    assert.equal(actual[field], expected[field], `${label}: ${field} must be exactly ${String(expected[field])}`);
  }
  const scale = Math.max(Math.abs(expected.volume), Number.MIN_VALUE);
  assert.ok(
    Math.abs(actual.volume - expected.volume) <= relative * scale,
    `${label}: volume ${actual.volume} must be within ${relative} of ${expected.volume}`,
  );
  assert.ok(
    Math.abs(actual.vwap - expected.vwap) <= relative * Math.abs(expected.vwap),
    `${label}: vwap ${actual.vwap} must be within ${relative} of ${expected.vwap}`,
  );
  assert.ok(
    Math.abs(actual.buyVolume - expected.buyVolume) <= relative * scale,
    `${label}: buyVolume ${actual.buyVolume} must be within ${relative} of ${expected.buyVolume}`,
  );
  assert.ok(
    Math.abs(actual.sellVolume - expected.sellVolume) <= relative * scale,
    `${label}: sellVolume ${actual.sellVolume} must be within ${relative} of ${expected.sellVolume}`,
  );
}

export function trade(
  time: number,
  price: number,
  qty: number,
  side: Trade['side'] = 'buy',
  pair = 'BTC/USDT',
  id?: string,
): Trade {
  return {
    v: 1,
    pair,
    exchange: 'test',
    tradeId: id ?? `${time}-${price}-${qty}`,
    price,
    qty,
    side,
    time,
    source: 'live',
  };
}
