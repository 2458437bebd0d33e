import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { TradeCountZScore } from './trade-count-zscore.js';

describe('TradeCountZScore', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`is (trades − TA-Lib SMA) / TA-Lib STDDEV of the trade counts on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      const trades = candles.map((c) => c.trades);
      for (const period of [2, 60, 240]) {
        const mean =
          runTalib(candles, { name: 'SMA', options: { optInTimePeriod: period }, inputs: { inReal: trades } })
            .outReal ?? [];
        const deviation =
          runTalib(candles, {
            name: 'STDDEV',
            options: { optInTimePeriod: period, optInNbDev: 1 },
            inputs: { inReal: trades },
          }).outReal ?? [];
        const z = mean.map((m, i) => {
          const d = deviation[i] ?? Number.NaN;
          return Number.isNaN(m) ? Number.NaN : d > 0 ? ((trades[i] ?? Number.NaN) - m) / d : 0;
        });
        assertLinesAgree(
          t.diagnostic.bind(t),
          `TRADE_COUNT_Z(${period})`,
          streamLines(candles, new TradeCountZScore(period), (c) => c),
          { value: z },
        );
      }
    });
  }
});
