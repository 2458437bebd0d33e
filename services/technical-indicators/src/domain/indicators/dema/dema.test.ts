import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Dema } from './dema.js';

describe('Dema', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib DEMA on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [2, 20, 100]) {
        const ours = streamLines(candles, new Dema(period), (c) => c.close);
        const ref = runTalib(candles, { name: 'DEMA', options: { optInTimePeriod: period } });
        assertLinesAgree(t.diagnostic.bind(t), `DEMA(${period})`, ours, { value: ref.outReal ?? [] });
      }
    });
  }
});
