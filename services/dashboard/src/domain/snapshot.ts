import type { Alert } from '@crypto-predict/core';
import { coinOf, quoteOf, type MarketHistory } from './market-history.js';
import { rollingMetricSeries, type MetricPoint } from './metric-series.js';
import {
  candleBars,
  latestPrediction,
  predictionPoints,
  type CandleBar,
  type LatestPrediction,
  type PredictionPoint,
} from './price-series.js';
import { latestSentiment, sentimentBuckets, type SentimentBucket, type SentimentItem } from './sentiment-series.js';

export interface HorizonView {
  /** Minutes ahead. */
  horizon: number;
  predictions: PredictionPoint[];
  latest: LatestPrediction | null;
  /** Rolling error metrics of the model and of naive, and interval coverage, over time. */
  metrics: MetricPoint[];
  /** The newest point of `metrics`: the window ending at the newest scored target time. */
  current: MetricPoint | null;
  /** Nominal coverage of the newest prediction's interval (e.g. 0.9), to compare coverage with. */
  nominalCoverage: number | null;
  /** Models that served the records in the history, as name@version (servedBy). */
  models: string[];
}

export interface AlertView {
  id: string;
  time: number;
  severity: Alert['severity'];
  kind: string;
  /** Null for an alert that concerns no pair. */
  pair: string | null;
  horizon: number | null;
  message: string;
}

/** Everything the page of one pair shows. Times are epoch ms, UTC; prices in the quote currency. */
export interface DashboardSnapshot {
  pair: string;
  coin: string;
  quote: string;
  timeframe: string;
  /** Retained span behind the pair's newest event, and the metrics' trailing window and step. */
  retentionMs: number;
  windowMs: number;
  stepMs: number;
  /** The span of event times held for the pair; null before its first event. */
  dataFrom: number | null;
  dataTo: number | null;
  candles: CandleBar[];
  horizons: HorizonView[];
  alerts: AlertView[];
  sentiment: {
    coin: string;
    bucketMs: number;
    buckets: SentimentBucket[];
    latest: SentimentItem[];
    /** Mean score of every item held; null with none. */
    meanScore: number | null;
    count: number;
  };
}

export interface SnapshotOptions {
  windowMs: number;
  stepMs: number;
  sentimentBucketMs: number;
  maxAlerts: number;
  maxSentimentItems: number;
}

/** The page of one pair, built from the history; null for a pair the dashboard does not show. */
export function buildSnapshot(
  history: MarketHistory,
  pair: string,
  options: SnapshotOptions,
): DashboardSnapshot | null {
  const held = history.pair(pair);
  if (held === undefined) return null;
  const { limits } = history;
  const candles = held.candles.values();

  const horizons: HorizonView[] = limits.horizons.map((horizon) => {
    const predictions = held.predictions.get(horizon)?.values() ?? [];
    const errors = held.errors.get(horizon)?.values() ?? [];
    const metrics = rollingMetricSeries(errors, { windowMs: options.windowMs, stepMs: options.stepMs });
    const newest = predictions[predictions.length - 1];
    return {
      horizon,
      predictions: predictionPoints(predictions, limits.timeframeMs),
      latest: latestPrediction(newest),
      metrics,
      current: metrics[metrics.length - 1] ?? null,
      nominalCoverage: newest?.coverage ?? null,
      models: [
        ...new Set(errors.map((record) => `${record.model.name}@${record.model.version} (${record.model.servedBy})`)),
      ].sort(),
    };
  });

  const alerts = [...held.alerts.values(), ...history.globalAlerts.values()]
    .sort((a, b) => b.time - a.time || (a.id < b.id ? -1 : 1))
    .slice(0, options.maxAlerts)
    .map(alertView);

  const coin = coinOf(pair);
  const items = history.coin(coin)?.items.values() ?? [];
  const times = [
    candles[0]?.openTime,
    ...limits.horizons.map((horizon) => held.predictions.get(horizon)?.values()[0]?.featureTime),
    held.alerts.values()[0]?.time,
  ].filter((time): time is number => time !== undefined);

  return {
    pair,
    coin,
    quote: quoteOf(pair),
    timeframe: limits.timeframe,
    retentionMs: limits.retentionMs,
    windowMs: options.windowMs,
    stepMs: options.stepMs,
    dataFrom: times.length === 0 ? null : Math.min(...times),
    dataTo: Number.isFinite(held.newestTime) ? held.newestTime : null,
    candles: candleBars(candles),
    horizons,
    alerts,
    sentiment: {
      coin,
      bucketMs: options.sentimentBucketMs,
      buckets: sentimentBuckets(items, options.sentimentBucketMs),
      latest: latestSentiment(items, options.maxSentimentItems),
      meanScore: items.length === 0 ? null : items.reduce((sum, item) => sum + item.score, 0) / items.length,
      count: items.length,
    },
  };
}

function alertView(alert: Alert): AlertView {
  const horizon = alert.details.horizon;
  return {
    id: alert.id,
    time: alert.time,
    severity: alert.severity,
    kind: alert.kind,
    pair: alert.pair,
    horizon: typeof horizon === 'number' && Number.isFinite(horizon) ? horizon : null,
    message: alert.message,
  };
}

/** A pair the dashboard shows, for the page's pair picker. */
export interface PairSummary {
  pair: string;
  candles: number;
  /** Newest event time of the pair; null before its first event. */
  newestTime: number | null;
}

export function pairSummaries(history: MarketHistory): PairSummary[] {
  return history.pairNames().map((pair) => {
    const held = history.pair(pair);
    return {
      pair,
      candles: held?.candles.size ?? 0,
      newestTime: held !== undefined && Number.isFinite(held.newestTime) ? held.newestTime : null,
    };
  });
}
