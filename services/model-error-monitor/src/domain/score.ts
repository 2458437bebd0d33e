import type { PredictionError } from '@crypto-predict/core';
import type { ScorablePrediction } from './scorable-prediction.js';

/** Scores a prediction against the actual close at its target time. */
export function scorePrediction(
  prediction: ScorablePrediction,
  actualPrice: number,
  scoredAt: number,
): PredictionError {
  const error = prediction.predictedPrice - actualPrice;
  const predictedMove = Math.sign(prediction.predictedPrice - prediction.lastClose);
  const actualMove = Math.sign(actualPrice - prediction.lastClose);
  const naiveError = prediction.lastClose - actualPrice;
  return {
    ...recordBase(prediction, scoredAt),
    status: 'scored',
    actualPrice,
    error,
    absError: Math.abs(error),
    squaredError: error * error,
    pctError: (error / actualPrice) * 100,
    // A move of exactly zero has no direction: neither right nor wrong.
    directionCorrect: predictedMove === 0 || actualMove === 0 ? null : predictedMove === actualMove,
    inInterval: prediction.lower <= actualPrice && actualPrice <= prediction.upper,
    naiveError,
    naiveAbsError: Math.abs(naiveError),
  };
}

/** The record of a prediction whose actual never arrived: it says so and carries no error. */
export function actualMissing(prediction: ScorablePrediction, scoredAt: number): PredictionError {
  return {
    ...recordBase(prediction, scoredAt),
    status: 'actual-missing',
    actualPrice: null,
    error: null,
    absError: null,
    squaredError: null,
    pctError: null,
    directionCorrect: null,
    inInterval: null,
    naiveError: null,
    naiveAbsError: null,
  };
}

function recordBase(prediction: ScorablePrediction, scoredAt: number) {
  return {
    v: 1 as const,
    predictionId: prediction.id,
    pair: prediction.pair,
    horizon: prediction.horizon,
    featureTime: prediction.featureTime,
    targetTime: prediction.targetTime,
    model: { ...prediction.model },
    lastClose: prediction.lastClose,
    predictedPrice: prediction.predictedPrice,
    lower: prediction.lower,
    upper: prediction.upper,
    scoredAt,
  };
}
