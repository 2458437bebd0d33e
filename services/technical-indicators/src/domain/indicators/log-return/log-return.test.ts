import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { LogReturn } from './log-return.js';

describe('LogReturn', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`equals ln of TA-Lib ROCR on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [1, 5, 15, 60]) {
        const ours = streamLines(candles, new LogReturn(period), (c) => c.close);
        const ratio = runTalib(candles, { name: 'ROCR', options: { optInTimePeriod: period } }).outReal ?? [];
        assertLinesAgree(t.diagnostic.bind(t), `LOG_RETURN(${period})`, ours, { value: ratio.map(Math.log) });
      }
    });
  }
});
