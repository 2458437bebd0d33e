import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Tema } from './tema.js';

describe('Tema', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib TEMA on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [2, 20, 100]) {
        const ours = streamLines(candles, new Tema(period), (c) => c.close);
        const ref = runTalib(candles, { name: 'TEMA', options: { optInTimePeriod: period } });
        assertLinesAgree(t.diagnostic.bind(t), `TEMA(${period})`, ours, { value: ref.outReal ?? [] });
      }
    });
  }
});
