import { parseArgs } from 'node:util';
import type { Candle } from '@crypto-predict/core';
import { readBinanceCandles } from '@crypto-predict/core/market-data';
import { DEFAULT_FEATURES_CONFIG, loadFeatureSet } from '../adapters/feature-config-file.js';
import { measureEngine } from '../measure-engine.js';

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
const m = measureEngine(featureSet, candles, Number(values.rounds));
process.stdout.write(
  `${JSON.stringify({
    candles: m.candles,
    features: m.features,
    indicatorInstances: m.indicatorInstances,
    nsPerCandle: Math.round(m.nsPerCandle),
    nsPerCandleRounds: m.nsPerCandleRounds.map(Math.round),
    cpuNsPerCandle: Math.round(m.cpuNsPerCandle),
    cpuNsPerCandleRounds: m.cpuNsPerCandleRounds.map(Math.round),
    candlesPerSecond: Math.round(1e9 / m.nsPerCandle),
    readNsPerCandle: Math.round((readMs * 1e6) / candles.length),
    rows: m.rows,
  })}\n`,
);
