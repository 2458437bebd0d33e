/** Sums over one horizon's scored prediction errors, as a store aggregates them. */
export interface ErrorSums {
  horizon: number;
  /** Scored errors (absError known). */
  count: number;
  sumAbsError: number;
  sumSquaredError: number;
  /** Errors whose direction is known (neither move zero), and how many had the right sign. */
  directionKnown: number;
  directionCorrect: number;
  /** Errors with an interval verdict, and how many actuals fell inside. */
  intervalKnown: number;
  inInterval: number;
  /** The naive forecast's errors on the same predictions. */
  naiveCount: number;
  sumNaiveAbsError: number;
  sumNaiveSquaredError: number;
}

export interface HorizonPerformance {
  horizon: number;
  count: number;
  mae: number | null;
  rmse: number | null;
  directionalAccuracy: number | null;
  coverage: number | null;
  naive: { count: number; mae: number | null; rmse: number | null };
  /** MAE over naive MAE: below 1 the model beats the last price. */
  maeRatioVsNaive: number | null;
}

const ratio = (numerator: number, denominator: number): number | null =>
  denominator > 0 ? numerator / denominator : null;

/** Error metrics of one horizon from its sums; a metric with nothing to average is null. */
export function horizonPerformance(sums: ErrorSums): HorizonPerformance {
  const mae = ratio(sums.sumAbsError, sums.count);
  const naiveMae = ratio(sums.sumNaiveAbsError, sums.naiveCount);
  const meanSquared = ratio(sums.sumSquaredError, sums.count);
  const naiveMeanSquared = ratio(sums.sumNaiveSquaredError, sums.naiveCount);
  return {
    horizon: sums.horizon,
    count: sums.count,
    mae,
    rmse: meanSquared === null ? null : Math.sqrt(meanSquared),
    directionalAccuracy: ratio(sums.directionCorrect, sums.directionKnown),
    coverage: ratio(sums.inInterval, sums.intervalKnown),
    naive: {
      count: sums.naiveCount,
      mae: naiveMae,
      rmse: naiveMeanSquared === null ? null : Math.sqrt(naiveMeanSquared),
    },
    maeRatioVsNaive: mae === null || naiveMae === null || naiveMae === 0 ? null : mae / naiveMae,
  };
}
