import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Kama } from './kama.js';

describe('Kama', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib KAMA on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [2, 10, 30]) {
        const ours = streamLines(candles, new Kama(period), (c) => c.close);
        const ref = runTalib(candles, { name: 'KAMA', options: { optInTimePeriod: period } });
        assertLinesAgree(t.diagnostic.bind(t), `KAMA(${period})`, ours, { value: ref.outReal ?? [] });
      }
    });
  }

  it('suppresses the first values like TA-Lib with an unstable period', async (t) => {
    const candles = await realCandles(SPANS.volatile, 1000);
    const ours = streamLines(candles, new Kama(10, 40), (c) => c.close);
    const ref = runTalib(candles, {
      name: 'KAMA',
      options: { optInTimePeriod: 10 },
      unstable: { id: 'TA_FUNC_UNST_KAMA', period: 40 },
    });
    assertLinesAgree(t.diagnostic.bind(t), 'KAMA(10, unstable 40)', ours, { value: ref.outReal ?? [] });
  });
});
