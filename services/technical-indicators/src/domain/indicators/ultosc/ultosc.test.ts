import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { UltOsc } from './ultosc.js';

describe('UltOsc', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib ULTOSC on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const [p1, p2, p3] of [
        [7, 14, 28],
        [28, 7, 14],
        [1, 2, 3],
      ] as const) {
        const ref = runTalib(candles, {
          name: 'ULTOSC',
          options: { optInTimePeriod1: p1, optInTimePeriod2: p2, optInTimePeriod3: p3 },
        });
        assertLinesAgree(
          t.diagnostic.bind(t),
          `ULTOSC(${p1},${p2},${p3})`,
          streamLines(candles, new UltOsc(p1, p2, p3), (c) => c),
          { value: ref.outReal ?? [] },
        );
      }
    });
  }
});
