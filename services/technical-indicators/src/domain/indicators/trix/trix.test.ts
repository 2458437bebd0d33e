import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Trix } from './trix.js';

describe('Trix', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib TRIX on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [2, 15, 30]) {
        const ours = streamLines(candles, new Trix(period), (c) => c.close);
        const ref = runTalib(candles, { name: 'TRIX', options: { optInTimePeriod: period } });
        assertLinesAgree(t.diagnostic.bind(t), `TRIX(${period})`, ours, { value: ref.outReal ?? [] });
      }
    });
  }
});
