import {
  predictionId,
  type Alert,
  type Candle,
  type Prediction,
  type PredictionError,
  type Sentiment,
} from '@crypto-predict/core';
import { scorePrediction } from '@crypto-predict/model-error-monitor/score';

export const MINUTE = 60_000;
/** 2025-01-02T00:00:00Z */
export const T0 = 1_735_776_000_000;

/** A 1m candle of BTC/USDT closing at `closeTime` (the monitor's test fixture). */
export { candle } from '@crypto-predict/model-error-monitor/testing';

export function prediction(overrides: Partial<Prediction> & { horizon: number; featureTime: number }): Prediction {
  const model = overrides.model ?? { name: 'price-BTC-USDT-1m', version: '3', servedBy: 'champion' as const };
  const pair = overrides.pair ?? 'BTC/USDT';
  const lastClose = overrides.lastClose ?? 100;
  const predictedPrice = overrides.predictedPrice ?? 101;
  return {
    v: 1,
    id: predictionId({ pair, horizon: overrides.horizon, featureTime: overrides.featureTime, model }),
    pair,
    timeframe: '1m',
    targetTime: overrides.featureTime + overrides.horizon * MINUTE,
    createdAt: overrides.featureTime + 150,
    lastClose,
    predictedLogReturn: Math.log(predictedPrice / lastClose),
    predictedPrice,
    lower: 99,
    upper: 103,
    coverage: 0.9,
    ...overrides,
    model,
  };
}

export function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    v: 1,
    id: overrides.id ?? `error-drift:BTC/USDT:5:${overrides.time ?? T0}`,
    kind: 'error-drift',
    severity: 'warning',
    pair: 'BTC/USDT',
    message: 'absolute error drifted up (Page-Hinkley) for BTC/USDT at 5m',
    details: { horizon: 5 },
    time: T0,
    ...overrides,
  };
}

export function sentiment(overrides: Partial<Sentiment> = {}): Sentiment {
  const score = overrides.score ?? 0.5;
  return {
    v: 1,
    newsId: 'news-1',
    coin: 'BTC',
    score,
    label: score > 0.2 ? 'bullish' : score < -0.2 ? 'bearish' : 'neutral',
    confidence: 0.8,
    reason: 'test',
    method: 'lexicon',
    model: 'lexicon@1',
    promptVersion: 'none',
    publishedAt: T0,
    scoredAt: T0 + 1_000,
    ...overrides,
  };
}

export interface MarketMessages {
  candles: Candle[];
  predictions: Prediction[];
  errors: PredictionError[];
}

/**
 * Predictions made on each candle's close for every horizon (a small drift and a symmetric
 * interval scaled by √horizon), and the error records the monitor makes of them: each prediction
 * whose target candle is among `candles` is scored against that candle's close with the monitor's
 * own scoring function.
 */
export function predictAndScore(
  candles: readonly Candle[],
  horizons: readonly number[],
  options: { drift?: number; volatility?: number; coverage?: number } = {},
): MarketMessages {
  const drift = options.drift ?? 0.0001;
  const volatility = options.volatility ?? 0.0008;
  const z = 1.645;
  const closes = new Map(candles.map((c) => [c.closeTime, c.close]));
  const predictions: Prediction[] = [];
  const errors: PredictionError[] = [];
  for (const c of candles) {
    for (const horizon of horizons) {
      const logReturn = drift * horizon;
      const half = z * volatility * Math.sqrt(horizon);
      const p = prediction({
        horizon,
        featureTime: c.closeTime,
        pair: c.pair,
        lastClose: c.close,
        predictedLogReturn: logReturn,
        predictedPrice: c.close * Math.exp(logReturn),
        lower: c.close * Math.exp(logReturn - half),
        upper: c.close * Math.exp(logReturn + half),
        coverage: options.coverage ?? 0.9,
      });
      predictions.push(p);
      const actual = closes.get(p.targetTime);
      if (actual !== undefined) errors.push(scorePrediction(p, actual, p.targetTime));
    }
  }
  return { candles: [...candles], predictions, errors };
}
