import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Adx, Dx, MinusDi, PlusDi } from './adx.js';

describe('Adx, Dx, PlusDi and MinusDi', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agree with TA-Lib ADX, DX, PLUS_DI and MINUS_DI on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      const report = t.diagnostic.bind(t);
      for (const period of [2, 14, 30]) {
        const options = { optInTimePeriod: period };
        assertLinesAgree(
          report,
          `ADX(${period})`,
          streamLines(candles, new Adx(period), (c) => c),
          { value: runTalib(candles, { name: 'ADX', options }).outReal ?? [] },
        );
        assertLinesAgree(
          report,
          `DX(${period})`,
          streamLines(candles, new Dx(period), (c) => c),
          { value: runTalib(candles, { name: 'DX', options }).outReal ?? [] },
        );
        assertLinesAgree(
          report,
          `PLUS_DI(${period})`,
          streamLines(candles, new PlusDi(period), (c) => c),
          { value: runTalib(candles, { name: 'PLUS_DI', options }).outReal ?? [] },
        );
        assertLinesAgree(
          report,
          `MINUS_DI(${period})`,
          streamLines(candles, new MinusDi(period), (c) => c),
          { value: runTalib(candles, { name: 'MINUS_DI', options }).outReal ?? [] },
        );
      }
    });
  }

  it('suppress the first values like TA-Lib with unstable periods', async (t) => {
    const candles = await realCandles(SPANS.volatile, 1000);
    const report = t.diagnostic.bind(t);
    const options = { optInTimePeriod: 14 };
    const cases = [
      ['ADX', 'TA_FUNC_UNST_ADX', new Adx(14, 25)],
      ['DX', 'TA_FUNC_UNST_DX', new Dx(14, 25)],
      ['PLUS_DI', 'TA_FUNC_UNST_PLUS_DI', new PlusDi(14, 25)],
      ['MINUS_DI', 'TA_FUNC_UNST_MINUS_DI', new MinusDi(14, 25)],
    ] as const;
    for (const [name, id, indicator] of cases) {
      assertLinesAgree(
        report,
        `${name}(14, unstable 25)`,
        streamLines(candles, indicator, (c) => c),
        {
          value: runTalib(candles, { name, options, unstable: { id, period: 25 } }).outReal ?? [],
        },
      );
    }
  });
});
