import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Bollinger } from './bollinger.js';

describe('Bollinger', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib BBANDS (SMA, population stddev) on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const [period, up, down] of [
        [20, 2, 2],
        [5, 1, 1],
        [50, 2.5, 1.5],
      ] as const) {
        const ours = streamLines(candles, new Bollinger(period, up, down), (c) => c.close);
        const ref = runTalib(candles, {
          name: 'BBANDS',
          options: { optInTimePeriod: period, optInNbDevUp: up, optInNbDevDn: down, optInMAType: 0 },
        });
        const upper = ref.outRealUpperBand ?? [];
        const lower = ref.outRealLowerBand ?? [];
        const middle = ref.outRealMiddleBand ?? [];
        // %B and width from TA-Lib's own bands.
        const percentB = upper.map((u, i) => {
          const l = lower[i] ?? Number.NaN;
          const close = candles[i]?.close ?? Number.NaN;
          return Number.isNaN(u) ? Number.NaN : u - l > 0 ? (close - l) / (u - l) : 0.5;
        });
        const width = upper.map((u, i) => (u - (lower[i] ?? Number.NaN)) / (middle[i] ?? Number.NaN));
        assertLinesAgree(t.diagnostic.bind(t), `BBANDS(${period},${up},${down})`, ours, {
          upper,
          middle,
          lower,
          percentB,
          width,
        });
      }
    });
  }
});
