import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Donchian } from './donchian.js';

describe('Donchian', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`is TA-Lib MAX(high) and MIN(low) on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [1, 20, 55]) {
        const options = { optInTimePeriod: period };
        const upper =
          period === 1
            ? candles.map((c) => c.high)
            : (runTalib(candles, { name: 'MAX', options, inputs: { inReal: candles.map((c) => c.high) } }).outReal ??
              []);
        const lower =
          period === 1
            ? candles.map((c) => c.low)
            : (runTalib(candles, { name: 'MIN', options, inputs: { inReal: candles.map((c) => c.low) } }).outReal ??
              []);
        const middle = upper.map((u, i) => (u + (lower[i] ?? Number.NaN)) / 2);
        const width = upper.map((u, i) => (u - (lower[i] ?? Number.NaN)) / (middle[i] ?? Number.NaN));
        const position = upper.map((u, i) => {
          const l = lower[i] ?? Number.NaN;
          return Number.isNaN(u) ? Number.NaN : u - l > 0 ? ((candles[i]?.close ?? Number.NaN) - l) / (u - l) : 0.5;
        });
        assertLinesAgree(
          t.diagnostic.bind(t),
          `DONCHIAN(${period})`,
          streamLines(candles, new Donchian(period), (c) => c),
          { upper, middle, lower, width, position },
        );
      }
    });
  }
});
