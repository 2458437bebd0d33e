import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { Extremum } from './extremum.js';

describe('Extremum', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib MAX/MIN and MAXINDEX/MININDEX on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [2, 14, 60]) {
        const options = { optInTimePeriod: period };
        for (const [side, values, index] of [
          ['max', 'MAX', 'MAXINDEX'],
          ['min', 'MIN', 'MININDEX'],
        ] as const) {
          const input = candles.map((c) => (side === 'max' ? c.high : c.low));
          const ours = streamLines(candles, new Extremum(period, side), (c) => (side === 'max' ? c.high : c.low));
          const value = runTalib(candles, { name: values, options, inputs: { inReal: input } }).outReal ?? [];
          // TA-Lib's MAXINDEX/MININDEX keep the first of equal extremes, AROON (and we) the latest, so
          // only the index of a unique extreme is compared; the values must always agree.
          const talibIndex = runTalib(candles, { name: index, options, inputs: { inReal: input } }).outInteger ?? [];
          const unique = talibIndex.map((at, i) =>
            Number.isNaN(at)
              ? Number.NaN
              : input.slice(i - period + 1, i + 1).filter((x) => x === input[at]).length === 1
                ? i - at
                : -1,
          );
          const age = (ours.age ?? []).map((a, i) => (unique[i] === -1 ? -1 : a));
          assertLinesAgree(
            t.diagnostic.bind(t),
            `${values}(${period})`,
            { value: ours.value ?? [], age },
            { value, age: unique },
          );
        }
      }
    });
  }
});
