import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Rsi } from './rsi.js';

describe('Rsi', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib RSI on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [2, 14, 100]) {
        const ours = streamLines(candles, new Rsi(period), (c) => c.close);
        const ref = runTalib(candles, { name: 'RSI', options: { optInTimePeriod: period } });
        assertLinesAgree(t.diagnostic.bind(t), `RSI(${period})`, ours, { value: ref.outReal ?? [] });
      }
    });
  }

  it('suppresses the first values like TA-Lib with an unstable period', async (t) => {
    const candles = await realCandles(SPANS.volatile, 1000);
    const ours = streamLines(candles, new Rsi(14, 100), (c) => c.close);
    const ref = runTalib(candles, {
      name: 'RSI',
      options: { optInTimePeriod: 14 },
      unstable: { id: 'TA_FUNC_UNST_RSI', period: 100 },
    });
    assertLinesAgree(t.diagnostic.bind(t), 'RSI(14, unstable 100)', ours, { value: ref.outReal ?? [] });
  });
});
