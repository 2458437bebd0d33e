import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Sum } from './sum.js';

describe('Sum', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib SUM on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [2, 15, 60]) {
        const ours = streamLines(candles, new Sum(period), (c) => c.volume);
        const ref = runTalib(candles, {
          name: 'SUM',
          options: { optInTimePeriod: period },
          inputs: { inReal: candles.map((c) => c.volume) },
        });
        assertLinesAgree(t.diagnostic.bind(t), `SUM(${period})`, ours, { value: ref.outReal ?? [] });
      }
    });
  }
});
