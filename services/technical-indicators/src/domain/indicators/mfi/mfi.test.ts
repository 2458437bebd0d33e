import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Mfi } from './mfi.js';

describe('Mfi', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib MFI on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [2, 14, 50]) {
        const ref = runTalib(candles, { name: 'MFI', options: { optInTimePeriod: period } });
        assertLinesAgree(
          t.diagnostic.bind(t),
          `MFI(${period})`,
          streamLines(candles, new Mfi(period), (c) => c),
          { value: ref.outReal ?? [] },
        );
      }
    });
  }

  it('suppresses the first values like TA-Lib with an unstable period', async (t) => {
    const candles = await realCandles(SPANS.volatile, 1000);
    const ref = runTalib(candles, {
      name: 'MFI',
      options: { optInTimePeriod: 14 },
      unstable: { id: 'TA_FUNC_UNST_MFI', period: 20 },
    });
    assertLinesAgree(
      t.diagnostic.bind(t),
      'MFI(14, unstable 20)',
      streamLines(candles, new Mfi(14, 20), (c) => c),
      { value: ref.outReal ?? [] },
    );
  });
});
