/**
 * How the Page-Hinkley defaults behave on synthetic absolute errors: false alarms on stationary
 * |N(0,1)| series, and detection delay after the error grows 1.5× and 2×. Prints one JSON line.
 *   node --import tsx services/model-error-monitor/scripts/page-hinkley-calibration.ts [warmup delta lambda clip]
 */
import { PageHinkley } from '../src/domain/page-hinkley.js';
import { seededNormal } from '@crypto-predict/core/testing';

const [warmup = 100, delta = 0.25, lambda = 30, clip = 5] = process.argv.slice(2).map(Number);
const options = { warmup, delta, lambda, clip };
const SERIES = 200;
const LENGTH = 5_000;

let falseAlarms = 0;
const delays = new Map<number, number[]>([
  [1.5, []],
  [2, []],
]);
for (let seed = 1; seed <= SERIES; seed += 1) {
  const normal = seededNormal(seed);
  const stationary = new PageHinkley(options);
  for (let i = 0; i < LENGTH; i += 1) if (stationary.update(Math.abs(normal()))) falseAlarms += 1;
  for (const [factor, list] of delays) {
    const shifted = new PageHinkley(options);
    for (let i = 0; i < 300; i += 1) shifted.update(Math.abs(normal()));
    for (let i = 0; i < 2_000; i += 1) {
      if (shifted.update(factor * Math.abs(normal()))) {
        list.push(i + 1);
        break;
      }
    }
  }
}
const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? null;
console.log(
  JSON.stringify({
    options,
    stationarySamples: SERIES * LENGTH,
    falseAlarms,
    detected1_5x: `${delays.get(1.5)?.length}/${SERIES}`,
    medianDelay1_5x: median(delays.get(1.5) ?? []),
    detected2x: `${delays.get(2)?.length}/${SERIES}`,
    medianDelay2x: median(delays.get(2) ?? []),
  }),
);
