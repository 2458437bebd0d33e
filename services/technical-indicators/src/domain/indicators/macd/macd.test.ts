import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Macd } from './macd.js';

describe('Macd', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib MACD (its fast/slow alignment) on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const [fast, slow, signal] of [
        [12, 26, 9],
        [5, 35, 5],
        [2, 3, 2],
      ] as const) {
        const ours = streamLines(candles, new Macd(fast, slow, signal), (c) => c.close);
        const ref = runTalib(candles, {
          name: 'MACD',
          options: { optInFastPeriod: fast, optInSlowPeriod: slow, optInSignalPeriod: signal },
        });
        assertLinesAgree(t.diagnostic.bind(t), `MACD(${fast},${slow},${signal})`, ours, {
          macd: ref.outMACD ?? [],
          signal: ref.outMACDSignal ?? [],
          histogram: ref.outMACDHist ?? [],
        });
      }
    });
  }

  it('refuses parameters TA-Lib mishandles instead of copying its behaviour', async () => {
    assert.throws(
      () => new Macd(26, 12, 9),
      RangeError,
      'TA-Lib silently swaps fast and slow; a config with them swapped is an error here',
    );
    assert.throws(() => new Macd(12, 26, 1), RangeError, 'a signal period of 1 is refused');
    const candles = await realCandles(SPANS.volatile, 100);
    const talib = runTalib(candles, {
      name: 'MACD',
      options: { optInFastPeriod: 12, optInSlowPeriod: 26, optInSignalPeriod: 1 },
    });
    const firstIndex = talib.outMACD?.findIndex((value) => !Number.isNaN(value));
    // A MACD needs the 26-bar EMA, so nothing can exist before bar 25; TA-Lib reports a value at
    // bar 24 (uninitialised memory, ~1e-321), which is why a signal period of 1 is refused.
    assert.equal(firstIndex, 24, 'TA-Lib MACD(12, 26, 1) starts one bar before a slow EMA exists');
  });
});
