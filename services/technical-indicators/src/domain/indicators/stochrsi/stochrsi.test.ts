import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { StochRsi } from './stochrsi.js';

describe('StochRsi', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib STOCHRSI on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const [period, fastK, fastD] of [
        [14, 5, 3],
        [14, 14, 3],
        [7, 3, 1],
      ] as const) {
        const ref = runTalib(candles, {
          name: 'STOCHRSI',
          options: {
            optInTimePeriod: period,
            optInFastK_Period: fastK,
            optInFastD_Period: fastD,
            optInFastD_MAType: 0,
          },
        });
        assertLinesAgree(
          t.diagnostic.bind(t),
          `STOCHRSI(${period},${fastK},${fastD})`,
          streamLines(candles, new StochRsi(period, fastK, fastD), (c) => c.close),
          {
            k: ref.outFastK ?? [],
            d: ref.outFastD ?? [],
          },
        );
      }
    });
  }
});
