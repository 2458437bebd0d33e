import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Aroon } from './aroon.js';

describe('Aroon', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib AROON and AROONOSC on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [2, 14, 25]) {
        const options = { optInTimePeriod: period };
        const ref = runTalib(candles, { name: 'AROON', options });
        assertLinesAgree(
          t.diagnostic.bind(t),
          `AROON(${period})`,
          streamLines(candles, new Aroon(period), (c) => c),
          {
            up: ref.outAroonUp ?? [],
            down: ref.outAroonDown ?? [],
            oscillator: runTalib(candles, { name: 'AROONOSC', options }).outReal ?? [],
          },
        );
      }
    });
  }
});
