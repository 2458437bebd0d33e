import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Wma } from './wma.js';

describe('Wma', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib WMA on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [2, 10, 30, 200]) {
        const ours = streamLines(candles, new Wma(period), (c) => c.close);
        const ref = runTalib(candles, { name: 'WMA', options: { optInTimePeriod: period } });
        assertLinesAgree(t.diagnostic.bind(t), `WMA(${period})`, ours, { value: ref.outReal ?? [] });
      }
    });
  }
});
