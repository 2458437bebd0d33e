import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { StdDev } from './stddev.js';
import { MeanVariance } from './mean-variance.js';

describe('StdDev', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agrees with TA-Lib STDDEV and VAR on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const [period, deviations] of [
        [2, 1],
        [20, 1],
        [20, 2],
        [200, 1.5],
      ] as const) {
        const ours = streamLines(candles, new StdDev(period, deviations), (c) => c.close);
        const ref = runTalib(candles, { name: 'STDDEV', options: { optInTimePeriod: period, optInNbDev: deviations } });
        assertLinesAgree(t.diagnostic.bind(t), `STDDEV(${period}, ${deviations})`, ours, { value: ref.outReal ?? [] });
      }
      const moments = streamLines(candles, new MeanVariance(30), (c) => c.close);
      const variance = runTalib(candles, { name: 'VAR', options: { optInTimePeriod: 30, optInNbDev: 1 } });
      const mean = runTalib(candles, { name: 'SMA', options: { optInTimePeriod: 30 } });
      assertLinesAgree(t.diagnostic.bind(t), 'MEAN_VARIANCE(30)', moments, {
        variance: variance.outReal ?? [],
        mean: mean.outReal ?? [],
      });
    });
  }
});
