import { predictionId, timeframeMs, type Candle, type Prediction } from '@crypto-predict/core';
import { targetTimeOf, toScorable, type ScorablePrediction } from '../domain/scorable-prediction.js';

/** 2025-01-01T00:00:00Z */
export const T0 = 1_735_689_600_000;
export const MINUTE = 60_000;

export function prediction(overrides: Partial<Prediction> = {}): Prediction {
  const base = {
    pair: 'BTC/USDT',
    horizon: 5,
    featureTime: T0,
    model: { name: 'price-BTC-USDT-1m', version: '3', servedBy: 'champion' as const },
    ...overrides,
  };
  const lastClose = overrides.lastClose ?? 100;
  const predictedPrice = overrides.predictedPrice ?? 101;
  return {
    v: 1,
    id: overrides.id ?? predictionId(base),
    pair: base.pair,
    timeframe: overrides.timeframe ?? '1m',
    horizon: base.horizon,
    featureTime: base.featureTime,
    targetTime: overrides.targetTime ?? targetTimeOf(base.featureTime, base.horizon),
    createdAt: overrides.createdAt ?? base.featureTime + 150,
    lastClose,
    predictedLogReturn: overrides.predictedLogReturn ?? Math.log(predictedPrice / lastClose),
    predictedPrice,
    lower: overrides.lower ?? 99,
    upper: overrides.upper ?? 103,
    coverage: overrides.coverage ?? 0.9,
    model: base.model,
  };
}

export function scorable(overrides: Partial<Prediction> = {}): ScorablePrediction {
  return toScorable(prediction(overrides));
}

export function candle(closeTime: number, close: number, overrides: Partial<Candle> = {}): Candle {
  const timeframe = overrides.timeframe ?? '1m';
  const lengthMs = timeframeMs(timeframe);
  return {
    v: 1,
    pair: 'BTC/USDT',
    timeframe,
    openTime: closeTime - lengthMs,
    closeTime,
    open: close,
    high: close,
    low: close,
    close,
    volume: 1,
    vwap: close,
    trades: 3,
    buyVolume: 0.5,
    sellVolume: 0.5,
    empty: false,
    revision: 0,
    ...overrides,
  };
}
