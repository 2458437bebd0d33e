import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realCandles } from '../../../testing/real-candles.js';
import { assertLinesAgree, streamLines } from '../../../testing/talib-oracle.js';
import { SessionVwap } from './session-vwap.js';

describe('SessionVwap', () => {
  it('is the day-to-date Σ(vwap·volume)/Σvolume from the first full UTC day, on 3 real days', async (t) => {
    // Starts mid-day: the first partial day has no value, the next two days have one.
    const from = Date.UTC(2024, 2, 4, 13, 7);
    const candles = await realCandles(from, 3 * 1440);
    // Independent reference: for each bar, a fresh sum over its day's bars so far.
    const reference = candles.map((candle, i) => {
      const dayStart = Math.floor(candle.openTime / 86_400_000) * 86_400_000;
      if (dayStart < from) return Number.NaN;
      let pv = 0;
      let v = 0;
      for (let j = i; j >= 0; j -= 1) {
        const c = candles[j];
        if (c === undefined || c.openTime < dayStart) break;
        pv += c.vwap * c.volume;
        v += c.volume;
      }
      return v > 0 ? pv / v : candle.close;
    });
    // Summation order differs from the running sum, so this one is compared within tolerance.
    assertLinesAgree(
      t.diagnostic.bind(t),
      'SESSION_VWAP(1440)',
      streamLines(candles, new SessionVwap(), (c) => c),
      { value: reference },
    );
  });

  it('counts a session that starts exactly at the first bar as complete, and honours the offset', () => {
    const at = (minute: number, vwap: number, volume: number) => ({
      openTime: Date.UTC(2024, 0, 1) + minute * 60_000,
      close: vwap,
      vwap,
      volume,
    });
    const daily = new SessionVwap();
    assert.equal(daily.update(at(0, 100, 1)), 100, 'a bar opening the UTC day starts a complete session');
    assert.equal(daily.update(at(1, 200, 3)), 175, 'Σ(vwap·volume)/Σvolume');
    const shifted = new SessionVwap(60, 30);
    assert.equal(shifted.update(at(0, 100, 1)), undefined, 'mid-session start: no value');
    assert.equal(shifted.update(at(30, 300, 1)), 300, 'the session boundary at :30 starts a complete session');
    assert.equal(shifted.update(at(31, 100, 0)), 300, 'a bar without volume leaves the VWAP as it is');
  });
});
