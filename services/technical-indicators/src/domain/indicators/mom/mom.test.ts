import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Mom } from './mom.js';

describe('Mom', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib MOM on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [1, 10, 60]) {
        const ours = streamLines(candles, new Mom(period), (c) => c.close);
        const ref = runTalib(candles, { name: 'MOM', options: { optInTimePeriod: period } });
        assertLinesAgree(t.diagnostic.bind(t), `MOM(${period})`, ours, { value: ref.outReal ?? [] });
      }
    });
  }
});
