import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { SignedVolume } from './signed-volume.js';

describe('SignedVolume', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`is TA-Lib SUM(buy − sell) and its share of TA-Lib SUM(volume) on 5,000 real ${span} minutes`, async (t) => {
      const candles = await realCandles(from);
      for (const period of [1, 15, 60]) {
        const sum = (values: number[]) =>
          period === 1
            ? values
            : (runTalib(candles, { name: 'SUM', options: { optInTimePeriod: period }, inputs: { inReal: values } })
                .outReal ?? []);
        const net = sum(candles.map((c) => c.buyVolume - c.sellVolume));
        const total = sum(candles.map((c) => c.volume));
        const ratio = net.map((x, i) => {
          const v = total[i] ?? Number.NaN;
          return Number.isNaN(x) ? Number.NaN : v > 0 ? x / v : 0;
        });
        assertLinesAgree(
          t.diagnostic.bind(t),
          `SIGNED_VOLUME(${period})`,
          streamLines(candles, new SignedVolume(period), (c) => c),
          { volume: net, ratio },
        );
      }
    });
  }
});
