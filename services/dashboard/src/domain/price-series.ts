import type { Candle, Prediction } from '@crypto-predict/core';

/** A candle as the chart draws it: at its open time, epoch ms. */
export interface CandleBar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * A prediction as the chart draws it: on the bar whose close it predicts, i.e. at
 * `targetTime − timeframe` (the open time of the candle that closes at the target time), so the
 * predicted price and its interval sit over the candle they are judged against.
 */
export interface PredictionPoint {
  /** `targetTime − timeframe`; the target and feature times follow from it and the horizon. */
  time: number;
  predicted: number;
  lower: number;
  upper: number;
}

export interface LatestPrediction {
  featureTime: number;
  targetTime: number;
  lastClose: number;
  predicted: number;
  lower: number;
  upper: number;
  /** Nominal coverage of the interval, e.g. 0.9. */
  coverage: number;
  model: string;
  servedBy: Prediction['model']['servedBy'];
}

export function candleBars(candles: readonly Candle[]): CandleBar[] {
  return candles.map((candle) => ({
    time: candle.openTime,
    open: candle.open,
    high: candle.high,
    low: candle.low,
    close: candle.close,
    volume: candle.volume,
  }));
}

/**
 * The prediction points of one horizon, one per bar. Predictions arrive one per feature time, so
 * target times are distinct within a horizon; should two still map to one bar, the later made wins.
 */
export function predictionPoints(predictions: readonly Prediction[], timeframeMs: number): PredictionPoint[] {
  const byBar = new Map<number, Prediction>();
  for (const prediction of predictions) {
    const bar = prediction.targetTime - timeframeMs;
    const held = byBar.get(bar);
    if (held === undefined || prediction.createdAt >= held.createdAt) byBar.set(bar, prediction);
  }
  return [...byBar.entries()]
    .sort(([a], [b]) => a - b)
    .map(([time, prediction]) => ({
      time,
      predicted: prediction.predictedPrice,
      lower: prediction.lower,
      upper: prediction.upper,
    }));
}

export function latestPrediction(prediction: Prediction | undefined): LatestPrediction | null {
  if (prediction === undefined) return null;
  return {
    featureTime: prediction.featureTime,
    targetTime: prediction.targetTime,
    lastClose: prediction.lastClose,
    predicted: prediction.predictedPrice,
    lower: prediction.lower,
    upper: prediction.upper,
    coverage: prediction.coverage,
    model: `${prediction.model.name}@${prediction.model.version}`,
    servedBy: prediction.model.servedBy,
  };
}
