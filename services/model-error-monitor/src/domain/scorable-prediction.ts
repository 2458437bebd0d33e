import type { Pair, Prediction, ServedModel, Timeframe } from '@crypto-predict/core';

/**
 * What the monitor needs of a prediction to score it: the terms it was made on. Kept small because
 * it is also what the monitor persists for pending predictions and rebuilds from error records.
 */
export interface ScorablePrediction {
  id: string;
  pair: Pair;
  /** Timeframe of the features the prediction was made from; the actual is always a 1m close. */
  timeframe: Timeframe;
  horizon: number;
  featureTime: number;
  targetTime: number;
  model: ServedModel;
  lastClose: number;
  predictedPrice: number;
  lower: number;
  upper: number;
  /** Nominal coverage of [lower, upper]. */
  coverage: number;
}

const MINUTE_MS = 60_000;

/** A prediction made at `featureTime` for `horizon` minutes targets the 1m candle closing then. */
export function targetTimeOf(featureTime: number, horizon: number): number {
  return featureTime + horizon * MINUTE_MS;
}

export function toScorable(prediction: Prediction): ScorablePrediction {
  return {
    id: prediction.id,
    pair: prediction.pair,
    timeframe: prediction.timeframe,
    horizon: prediction.horizon,
    featureTime: prediction.featureTime,
    targetTime: targetTimeOf(prediction.featureTime, prediction.horizon),
    model: { name: prediction.model.name, version: prediction.model.version, servedBy: prediction.model.servedBy },
    lastClose: prediction.lastClose,
    predictedPrice: prediction.predictedPrice,
    lower: prediction.lower,
    upper: prediction.upper,
    coverage: prediction.coverage,
  };
}
