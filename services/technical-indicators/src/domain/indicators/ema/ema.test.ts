import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Ema } from './ema.js';

describe('Ema', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib EMA on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [2, 12, 20, 200]) {
        const ours = streamLines(candles, new Ema(period), (c) => c.close);
        const ref = runTalib(candles, { name: 'EMA', options: { optInTimePeriod: period } });
        assertLinesAgree(t.diagnostic.bind(t), `EMA(${period})`, ours, { value: ref.outReal ?? [] });
      }
    });
  }

  it('suppresses the first values like TA-Lib with an unstable period', async (t) => {
    const candles = await realCandles(SPANS.volatile, 1000);
    const ours = streamLines(candles, new Ema(20, 50), (c) => c.close);
    const ref = runTalib(candles, {
      name: 'EMA',
      options: { optInTimePeriod: 20 },
      unstable: { id: 'TA_FUNC_UNST_EMA', period: 50 },
    });
    assertLinesAgree(t.diagnostic.bind(t), 'EMA(20, unstable 50)', ours, { value: ref.outReal ?? [] });
  });
});
