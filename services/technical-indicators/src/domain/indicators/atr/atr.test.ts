import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Atr } from './atr.js';
import { Natr } from './natr.js';
import { TrueRange } from './true-range.js';

describe('Atr, Natr and TrueRange', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agree with TA-Lib ATR, NATR and TRANGE on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      const report = t.diagnostic.bind(t);
      assertLinesAgree(
        report,
        'TRANGE',
        streamLines(candles, new TrueRange(), (c) => c),
        { value: runTalib(candles, { name: 'TRANGE' }).outReal ?? [] },
      );
      for (const period of [1, 2, 14, 100]) {
        const options = { optInTimePeriod: period };
        assertLinesAgree(
          report,
          `ATR(${period})`,
          streamLines(candles, new Atr(period), (c) => c),
          { value: runTalib(candles, { name: 'ATR', options }).outReal ?? [] },
        );
        if (period === 1) continue; // see the deliberate difference below
        assertLinesAgree(
          report,
          `NATR(${period})`,
          streamLines(candles, new Natr(period), (c) => c),
          { value: runTalib(candles, { name: 'NATR', options }).outReal ?? [] },
        );
      }
    });
  }

  it('deliberately differs from TA-Lib NATR(1), which returns the raw true range instead of a percentage', async () => {
    const candles = await realCandles(SPANS.volatile, 100);
    const ours = streamLines(candles, new Natr(1), (c) => c).value ?? [];
    const talibNatr1 = runTalib(candles, { name: 'NATR', options: { optInTimePeriod: 1 } }).outReal ?? [];
    const trueRange = runTalib(candles, { name: 'TRANGE' }).outReal ?? [];
    assert.deepEqual(
      talibNatr1,
      trueRange,
      'TA-Lib NATR(1) is TRANGE (its period <= 1 shortcut skips the normalisation)',
    );
    candles.forEach((candle, i) => {
      if (i === 0) return assert.equal(ours[i], undefined, 'no value on the first bar');
      const expected = ((trueRange[i] ?? Number.NaN) / candle.close) * 100;
      assert.equal(ours[i], expected, `NATR(1)[${i}] is the true range as a percentage of the close`);
    });
  });

  it('suppresses the first values like TA-Lib with an unstable period', async (t) => {
    const candles = await realCandles(SPANS.volatile, 1000);
    const report = t.diagnostic.bind(t);
    const options = { optInTimePeriod: 14 };
    assertLinesAgree(
      report,
      'ATR(14, unstable 30)',
      streamLines(candles, new Atr(14, 30), (c) => c),
      {
        value:
          runTalib(candles, { name: 'ATR', options, unstable: { id: 'TA_FUNC_UNST_ATR', period: 30 } }).outReal ?? [],
      },
    );
    assertLinesAgree(
      report,
      'NATR(14, unstable 30)',
      streamLines(candles, new Natr(14, 30), (c) => c),
      {
        value:
          runTalib(candles, { name: 'NATR', options, unstable: { id: 'TA_FUNC_UNST_NATR', period: 30 } }).outReal ?? [],
      },
    );
  });
});
