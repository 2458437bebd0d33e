import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Cci } from './cci.js';

describe('Cci', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib CCI on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [2, 14, 20, 50]) {
        const ref = runTalib(candles, { name: 'CCI', options: { optInTimePeriod: period } });
        assertLinesAgree(
          t.diagnostic.bind(t),
          `CCI(${period})`,
          streamLines(candles, new Cci(period), (c) => c),
          { value: ref.outReal ?? [] },
        );
      }
    });
  }
});
