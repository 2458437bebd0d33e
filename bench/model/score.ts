// Scores of one horizon's served predictions against the realised closes (pure, unit-tested).
import { quantile } from '../lib/stats.js';

/** One served prediction and what then happened: the close `h` minutes after its feature time. */
export interface ScoredRow {
  close: number;
  actual: number;
  predictedPrice: number;
  predictedLogReturn: number;
  lower: number;
  upper: number;
  /** The contract's volatility feature on the row (what the interval scales with). */
  volatility: number;
}

export interface HorizonScore {
  rows: number;
  mae: number;
  mae_naive: number;
  mae_ratio_vs_naive: number;
  /** Share of rows where the price moved whose predicted sign matched; a zero prediction counts as wrong. */
  directional_accuracy: number;
  coverage_90: number;
  /** Coverage in the calmest, middle and busiest third of rows by the volatility feature. */
  coverage_90_by_vol_tercile: [number, number, number];
  mean_width_pct: number;
}

const mean = (values: readonly number[]): number =>
  values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;

export function scoreHorizon(rows: readonly ScoredRow[]): HorizonScore {
  if (rows.length === 0) throw new Error('no scored rows for a horizon: the test span is too short');
  const covered = rows.map((r) => r.actual >= r.lower && r.actual <= r.upper);
  const moved = rows.filter((r) => r.actual !== r.close);
  const volatilities = rows.map((r) => r.volatility);
  const [low, high] = [quantile(volatilities, 1 / 3), quantile(volatilities, 2 / 3)];
  const byTercile: [number[], number[], number[]] = [[], [], []];
  rows.forEach((r, i) => {
    const third = r.volatility < low ? byTercile[0] : r.volatility < high ? byTercile[1] : byTercile[2];
    third.push(covered[i] === true ? 1 : 0);
  });
  const mae = mean(rows.map((r) => Math.abs(r.predictedPrice - r.actual)));
  const maeNaive = mean(rows.map((r) => Math.abs(r.close - r.actual)));
  return {
    rows: rows.length,
    mae,
    mae_naive: maeNaive,
    mae_ratio_vs_naive: mae / maeNaive,
    directional_accuracy: mean(
      moved.map((r) => (Math.sign(r.predictedLogReturn) === Math.sign(Math.log(r.actual / r.close)) ? 1 : 0)),
    ),
    coverage_90: mean(covered.map((c) => (c ? 1 : 0))),
    coverage_90_by_vol_tercile: [mean(byTercile[0]), mean(byTercile[1]), mean(byTercile[2])],
    mean_width_pct: mean(rows.map((r) => ((r.upper - r.lower) / r.close) * 100)),
  };
}
