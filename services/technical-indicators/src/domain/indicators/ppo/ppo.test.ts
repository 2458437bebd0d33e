import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../../testing/real-candles.js';
import { assertLinesAgree, runTalib, streamLines } from '../../../testing/talib-oracle.js';
import { MOVING_AVERAGE_TYPES } from '../moving-average/moving-average.js';
import { Apo, Ppo } from './ppo.js';

describe('Ppo and Apo', () => {
  for (const [span, from] of Object.entries(SPANS)) {
    it(`agree with TA-Lib PPO and APO on 5,000 real ${span} minutes, EMA and SMA`, async (t) => {
      const candles = await realCandles(from);
      for (const ma of ['ema', 'sma'] as const) {
        for (const [fast, slow] of [
          [12, 26],
          [3, 10],
        ] as const) {
          const options = { optInFastPeriod: fast, optInSlowPeriod: slow, optInMAType: MOVING_AVERAGE_TYPES[ma] };
          assertLinesAgree(
            t.diagnostic.bind(t),
            `PPO(${fast},${slow},${ma})`,
            streamLines(candles, new Ppo(fast, slow, ma), (c) => c.close),
            {
              value: runTalib(candles, { name: 'PPO', options }).outReal ?? [],
            },
          );
          assertLinesAgree(
            t.diagnostic.bind(t),
            `APO(${fast},${slow},${ma})`,
            streamLines(candles, new Apo(fast, slow, ma), (c) => c.close),
            {
              value: runTalib(candles, { name: 'APO', options }).outReal ?? [],
            },
          );
        }
      }
    });
  }
});
