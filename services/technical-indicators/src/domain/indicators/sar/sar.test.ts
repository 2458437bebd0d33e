import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Sar } from './sar.js';

describe('Sar', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib SAR on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const [acceleration, maximum] of [
        [0.02, 0.2],
        [0.01, 0.1],
        [0.5, 0.2],
      ] as const) {
        const ref = runTalib(candles, {
          name: 'SAR',
          options: { optInAcceleration: acceleration, optInMaximum: maximum },
        });
        assertLinesAgree(
          t.diagnostic.bind(t),
          `SAR(${acceleration},${maximum})`,
          streamLines(candles, new Sar(acceleration, maximum), (c) => c),
          { value: ref.outReal ?? [] },
        );
      }
    });
  }
});
