import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../testing/real-candles.js';
import { CandleResampler } from './resample.js';

describe('CandleResampler', () => {
  it('aggregates real 1-minute candles into 5-minute windows', async () => {
    const minutes = await realCandles(SPANS.volatile, 20);
    const resampler = new CandleResampler('5m');
    const windows = [...minutes.map((m) => resampler.push(m)), resampler.flush()].filter((w) => w !== undefined);
    assert.equal(windows.length, 4, 'four 5-minute windows from 20 minutes');
    windows.forEach((window, w) => {
      const part = minutes.slice(w * 5, w * 5 + 5);
      const first = part[0];
      const last = part.at(-1);
      assert.ok(first !== undefined && last !== undefined);
      assert.equal(window.timeframe, '5m', 'the longer timeframe');
      assert.equal(window.openTime, first.openTime, 'opens with its first minute');
      assert.equal(window.closeTime, first.openTime + 300_000, 'closes 5 minutes later');
      assert.equal(window.open, first.open, 'open of the first minute');
      assert.equal(window.close, last.close, 'close of the last minute');
      assert.equal(window.high, Math.max(...part.map((m) => m.high)), 'highest high');
      assert.equal(window.low, Math.min(...part.map((m) => m.low)), 'lowest low');
      const volume = part.reduce((sum, m) => sum + m.volume, 0);
      assert.ok(Math.abs(window.volume - volume) < 1e-9, 'summed volume');
      assert.equal(
        window.trades,
        part.reduce((sum, m) => sum + m.trades, 0),
        'summed trades',
      );
      const vwap = part.reduce((sum, m) => sum + m.vwap * m.volume, 0) / volume;
      assert.ok(Math.abs(window.vwap - vwap) < 1e-9, 'volume-weighted vwap');
    });
  });
});
