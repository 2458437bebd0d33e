import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Sma } from './sma.js';

describe('Sma', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib SMA on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [2, 20, 200]) {
        const ours = streamLines(candles, new Sma(period), (c) => c.close);
        const ref = runTalib(candles, { name: 'SMA', options: { optInTimePeriod: period } });
        assertLinesAgree(t.diagnostic.bind(t), `SMA(${period})`, ours, { value: ref.outReal ?? [] });
      }
    });
  }
});
