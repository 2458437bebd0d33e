import {
  predictionId,
  type FeatureRow,
  type ModelContract,
  type Prediction,
  type ServedModel,
} from '@crypto-predict/core';

const MINUTE_MS = 60_000;

/** The identity naive predictions carry: no model, the last price carried forward. */
export const NAIVE_MODEL = { name: 'naive', version: '1' } as const;

function prediction(
  row: FeatureRow,
  horizon: number,
  logReturn: number,
  lower: number,
  upper: number,
  coverage: number,
  model: ServedModel,
  createdAt: number,
): Prediction | null {
  const predictedPrice = row.close * Math.exp(logReturn);
  // A model output that overflows or is NaN must never reach a consumer as a price.
  if (![predictedPrice, lower, upper].every((x) => Number.isFinite(x) && x > 0)) return null;
  return {
    v: 1,
    id: predictionId({ pair: row.pair, horizon, featureTime: row.time, model }),
    pair: row.pair,
    timeframe: row.timeframe,
    horizon,
    featureTime: row.time,
    targetTime: row.time + horizon * MINUTE_MS,
    createdAt,
    lastClose: row.close,
    predictedLogReturn: logReturn,
    predictedPrice,
    lower,
    upper,
    coverage,
    model,
  };
}

/**
 * A model's prediction for one row and horizon, with the contract's conformal interval:
 * lower = close·exp(p − scale[h]·v), upper = close·exp(p + scale[h]·v). Null when the output is
 * unusable (not finite), so the caller falls back.
 */
export function modelPrediction(options: {
  row: FeatureRow;
  contract: ModelContract;
  horizon: number;
  logReturn: number;
  volatility: number;
  model: ServedModel;
  createdAt: number;
}): Prediction | null {
  const { row, contract, horizon, logReturn, volatility } = options;
  const scale = contract.intervals.scale[String(horizon)];
  if (scale === undefined || !Number.isFinite(logReturn) || !(volatility >= 0)) return null;
  const halfWidth = scale * volatility;
  return prediction(
    row,
    horizon,
    logReturn,
    row.close * Math.exp(logReturn - halfWidth),
    row.close * Math.exp(logReturn + halfWidth),
    contract.intervals.coverage,
    options.model,
    options.createdAt,
  );
}

/**
 * The naive forecast: the last close carried forward (log return 0), with a normal interval from
 * the per-candle volatility scaled to the horizon, close·exp(±z·v·sqrt(h / candle minutes)).
 * Not conformally calibrated. Null when the volatility is unknown (warm-up) or not usable.
 */
export function naivePrediction(options: {
  row: FeatureRow;
  horizon: number;
  volatility: number | null;
  z: number;
  coverage: number;
  candleMinutes: number;
  createdAt: number;
}): Prediction | null {
  const { row, horizon, volatility } = options;
  if (volatility === null || !(volatility >= 0) || !Number.isFinite(volatility)) return null;
  const halfWidth = options.z * volatility * Math.sqrt(horizon / options.candleMinutes);
  return prediction(
    row,
    horizon,
    0,
    row.close * Math.exp(-halfWidth),
    row.close * Math.exp(halfWidth),
    options.coverage,
    { ...NAIVE_MODEL, servedBy: 'naive' },
    options.createdAt,
  );
}
