// Measuring, not domain logic: it reads the process clock and CPU time around a FeatureEngine run.
import type { Candle } from '@crypto-predict/core';
import { FeatureEngine } from './domain/features/feature-engine.js';
import type { FeatureSet } from './domain/features/feature-config.js';

/** ns per candle of a FeatureEngine run, per round and the best round, wall and CPU time. */
export interface EngineMeasurement {
  candles: number;
  features: number;
  indicatorInstances: number;
  /** Best round, wall time (hrtime). */
  nsPerCandle: number;
  nsPerCandleRounds: number[];
  /** Best round, CPU time (user + system) of this process. */
  cpuNsPerCandle: number;
  cpuNsPerCandleRounds: number[];
  /** Feature rows produced over all rounds (keeps the work observable). */
  rows: number;
}

/** Distinct indicator instances of a feature set (features sharing one, like bb_pctb/bb_width, count once). */
export function indicatorInstanceCount(featureSet: FeatureSet): number {
  return new Set(featureSet.features.map((f) => f.instanceKey)).size;
}

/**
 * Measures the feature engine alone: each round a fresh FeatureEngine applies every candle (held
 * in memory) as the service does. Wall time suffers when the machine is shared; CPU time much less.
 */
export function measureEngine(featureSet: FeatureSet, candles: readonly Candle[], rounds = 3): EngineMeasurement {
  const timings: number[] = [];
  const cpuTimings: number[] = [];
  let rows = 0;
  for (let round = 0; round < rounds; round += 1) {
    const engine = new FeatureEngine(featureSet);
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    for (const candle of candles) {
      const outcome = engine.apply(candle);
      if (outcome.kind === 'rows') rows += outcome.rows.length;
    }
    const cpu = process.cpuUsage(cpuStart);
    timings.push(Number(process.hrtime.bigint() - start) / candles.length);
    cpuTimings.push(((cpu.user + cpu.system) * 1000) / candles.length);
  }
  return {
    candles: candles.length,
    features: featureSet.features.length,
    indicatorInstances: indicatorInstanceCount(featureSet),
    nsPerCandle: Math.min(...timings),
    nsPerCandleRounds: timings,
    cpuNsPerCandle: Math.min(...cpuTimings),
    cpuNsPerCandleRounds: cpuTimings,
    rows,
  };
}
