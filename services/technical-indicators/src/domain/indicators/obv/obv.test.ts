import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Obv } from './obv.js';

describe('Obv', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib OBV on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      const ref = runTalib(candles, {
        name: 'OBV',
        inputs: { inReal: candles.map((c) => c.close), volume: candles.map((c) => c.volume) },
      });
      assertLinesAgree(
        t.diagnostic.bind(t),
        'OBV',
        streamLines(candles, new Obv(), (c) => ({ price: c.close, volume: c.volume })),
        { value: ref.outReal ?? [] },
      );
    });
  }
});
