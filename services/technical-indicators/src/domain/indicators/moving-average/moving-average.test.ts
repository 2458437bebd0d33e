import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { MOVING_AVERAGE_TYPES, movingAverage, type MovingAverageType } from './moving-average.js';

describe('movingAverage', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib MA for every supported type on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const type of Object.keys(MOVING_AVERAGE_TYPES) as MovingAverageType[]) {
        for (const period of [1, 3, 30]) {
          const ours = streamLines(candles, movingAverage(type, period), (c) => c.close);
          const ref = runTalib(candles, {
            name: 'MA',
            options: { optInTimePeriod: period, optInMAType: MOVING_AVERAGE_TYPES[type] },
          });
          assertLinesAgree(t.diagnostic.bind(t), `MA(${type},${period})`, ours, { value: ref.outReal ?? [] });
        }
      }
    });
  }
});
