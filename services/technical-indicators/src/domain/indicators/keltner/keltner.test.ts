import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Keltner } from './keltner.js';

describe('Keltner', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`equals TA-Lib EMA ± k × TA-Lib ATR on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const [period, atrPeriod, multiplier] of [
        [20, 10, 2],
        [10, 30, 1.5],
      ] as const) {
        const ema = runTalib(candles, { name: 'EMA', options: { optInTimePeriod: period } }).outReal ?? [];
        const atr = runTalib(candles, { name: 'ATR', options: { optInTimePeriod: atrPeriod } }).outReal ?? [];
        const upper = ema.map((m, i) => m + multiplier * (atr[i] ?? Number.NaN));
        const lower = ema.map((m, i) => m - multiplier * (atr[i] ?? Number.NaN));
        const width = upper.map((u, i) => (u - (lower[i] ?? Number.NaN)) / (ema[i] ?? Number.NaN));
        const position = upper.map((u, i) => {
          const l = lower[i] ?? Number.NaN;
          return Number.isNaN(u) ? Number.NaN : u - l > 0 ? ((candles[i]?.close ?? Number.NaN) - l) / (u - l) : 0.5;
        });
        const middle = ema.map((m, i) => (Number.isNaN(upper[i] ?? Number.NaN) ? Number.NaN : m));
        assertLinesAgree(
          t.diagnostic.bind(t),
          `KELTNER(${period},${atrPeriod},${multiplier})`,
          streamLines(candles, new Keltner(period, atrPeriod, multiplier), (c) => c),
          {
            upper,
            middle,
            lower,
            width,
            position,
          },
        );
      }
    });
  }
});
