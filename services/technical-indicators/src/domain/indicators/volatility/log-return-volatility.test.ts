import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { LogReturnVolatility } from './log-return-volatility.js';

describe('LogReturnVolatility', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`equals TA-Lib STDDEV of the 1-bar log returns on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      const logReturns = candles.slice(1).map((c, i) => Math.log(c.close / (candles[i]?.close ?? Number.NaN)));
      for (const period of [2, 30, 240]) {
        const deviation =
          runTalib(candles, {
            name: 'STDDEV',
            options: { optInTimePeriod: period, optInNbDev: 1 },
            inputs: { inReal: logReturns },
          }).outReal ?? [];
        // TA-Lib saw the returns series, which starts one bar later.
        const reference = deviation.slice(0, candles.length - 1);
        assertLinesAgree(
          t.diagnostic.bind(t),
          `VOLATILITY(${period})`,
          streamLines(candles, new LogReturnVolatility(period), (c) => c.close),
          { value: [Number.NaN, ...reference] },
        );
      }
    });
  }
});
