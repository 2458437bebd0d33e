import { parseArgs } from 'node:util';
import type { Candle } from '@crypto-predict/core';
import { readBinanceCandles } from '@crypto-predict/core/market-data';
import { DEFAULT_FEATURES_CONFIG, loadFeatureSet } from '../adapters/feature-config-file.js';
import { FeatureEngine } from '../domain/features/feature-engine.js';

/**
 * Measures the feature engine alone: ns per candle for a feature config over real 1-minute
 * candles held in memory (reading the files is timed separately). Prints one JSON line.
 *   node --import tsx src/cli/measure-engine.ts [--from 2024-01-01] [--minutes 200000] [--config path] [--rounds 3]
 */
const { values } = parseArgs({
  options: {
    from: { type: 'string', default: '2024-01-01' },
    minutes: { type: 'string', default: '200000' },
    config: { type: 'string', default: DEFAULT_FEATURES_CONFIG },
    rounds: { type: 'string', default: '3' },
  },
});
const from = Date.parse(`${values.from}T00:00:00Z`);
const minutes = Number(values.minutes);
const readStart = performance.now();
const candles: Candle[] = [];
for await (const candle of readBinanceCandles({ from, to: from + minutes * 60_000 })) candles.push(candle);
const readMs = performance.now() - readStart;
const featureSet = loadFeatureSet(values.config);
// Wall time suffers when the machine is shared; CPU time (user + system) of this process much less.
const timings: number[] = [];
const cpuTimings: number[] = [];
let checksum = 0;
for (let round = 0; round < Number(values.rounds); round += 1) {
  const engine = new FeatureEngine(featureSet);
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (const candle of candles) {
    const outcome = engine.apply(candle);
    if (outcome.kind === 'rows') checksum += outcome.rows.length;
  }
  const cpu = process.cpuUsage(cpuStart);
  timings.push(Number(process.hrtime.bigint() - start) / candles.length);
  cpuTimings.push(((cpu.user + cpu.system) * 1000) / candles.length);
}
const best = Math.min(...timings);
const bestCpu = Math.min(...cpuTimings);
process.stdout.write(
  `${JSON.stringify({
    candles: candles.length,
    features: featureSet.features.length,
    indicatorInstances: new Set(featureSet.features.map((f) => f.instanceKey)).size,
    nsPerCandle: Math.round(best),
    nsPerCandleRounds: timings.map(Math.round),
    cpuNsPerCandle: Math.round(bestCpu),
    cpuNsPerCandleRounds: cpuTimings.map(Math.round),
    candlesPerSecond: Math.round(1e9 / best),
    readNsPerCandle: Math.round((readMs * 1e6) / candles.length),
    rows: checksum,
  })}\n`,
);
