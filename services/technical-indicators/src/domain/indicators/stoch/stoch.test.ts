import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { MOVING_AVERAGE_TYPES } from '../moving-average/moving-average.js';
import { Stoch, StochFast } from './stoch.js';

describe('Stoch and StochFast', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agree with TA-Lib STOCH and STOCHF on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      const report = t.diagnostic.bind(t);
      for (const [fastK, slowK, slowD, ma] of [
        [5, 3, 3, 'sma'],
        [14, 3, 3, 'sma'],
        [14, 1, 5, 'ema'],
      ] as const) {
        const ref = runTalib(candles, {
          name: 'STOCH',
          options: {
            optInFastK_Period: fastK,
            optInSlowK_Period: slowK,
            optInSlowK_MAType: MOVING_AVERAGE_TYPES[ma],
            optInSlowD_Period: slowD,
            optInSlowD_MAType: MOVING_AVERAGE_TYPES[ma],
          },
        });
        assertLinesAgree(
          report,
          `STOCH(${fastK},${slowK},${slowD},${ma})`,
          streamLines(candles, new Stoch(fastK, slowK, slowD, ma), (c) => c),
          {
            k: ref.outSlowK ?? [],
            d: ref.outSlowD ?? [],
          },
        );
      }
      for (const [fastK, fastD] of [
        [5, 3],
        [14, 1],
      ] as const) {
        const ref = runTalib(candles, {
          name: 'STOCHF',
          options: { optInFastK_Period: fastK, optInFastD_Period: fastD, optInFastD_MAType: 0 },
        });
        assertLinesAgree(
          report,
          `STOCHF(${fastK},${fastD})`,
          streamLines(candles, new StochFast(fastK, fastD), (c) => c),
          {
            k: ref.outFastK ?? [],
            d: ref.outFastD ?? [],
          },
        );
      }
    });
  }
});
