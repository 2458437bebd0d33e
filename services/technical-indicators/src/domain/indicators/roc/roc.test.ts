import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Roc } from './roc.js';

describe('Roc', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib ROC on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [1, 10, 60]) {
        const ours = streamLines(candles, new Roc(period), (c) => c.close);
        const ref = runTalib(candles, { name: 'ROC', options: { optInTimePeriod: period } });
        assertLinesAgree(t.diagnostic.bind(t), `ROC(${period})`, ours, { value: ref.outReal ?? [] });
      }
    });
  }
});
