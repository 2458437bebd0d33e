import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { TakerBuyRatio } from './taker-buy-ratio.js';

describe('TakerBuyRatio', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`is TA-Lib SUM(buy volume) / SUM(volume) on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [1, 15, 60]) {
        const sum = (values: number[]) =>
          period === 1
            ? values
            : (runTalib(candles, { name: 'SUM', options: { optInTimePeriod: period }, inputs: { inReal: values } })
                .outReal ?? []);
        const buy = sum(candles.map((c) => c.buyVolume));
        const total = sum(candles.map((c) => c.volume));
        const ratio = buy.map((b, i) => {
          const v = total[i] ?? Number.NaN;
          return Number.isNaN(b) ? Number.NaN : v > 0 ? b / v : 0.5;
        });
        assertLinesAgree(
          t.diagnostic.bind(t),
          `TAKER_BUY_RATIO(${period})`,
          streamLines(candles, new TakerBuyRatio(period), (c) => c),
          { value: ratio },
        );
      }
    });
  }
});
