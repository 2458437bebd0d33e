import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { WillR } from './willr.js';

describe('WillR', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib WILLR on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [2, 14, 60]) {
        const ref = runTalib(candles, { name: 'WILLR', options: { optInTimePeriod: period } });
        assertLinesAgree(
          t.diagnostic.bind(t),
          `WILLR(${period})`,
          streamLines(candles, new WillR(period), (c) => c),
          { value: ref.outReal ?? [] },
        );
      }
    });
  }
});
