import type { Alert, Candle, Prediction, PredictionError, Sentiment } from '@crypto-predict/core';
import { TimeSeriesBuffer, type UpsertOutcome } from './time-series-buffer.js';

/** What became of a message: held (new or newer version), not newer than the held one, too old, or not shown. */
export type Outcome = 'accepted' | 'kept' | 'too-old' | 'ignored';

export interface HistoryLimits {
  /** Event time kept behind each pair's (or coin's) newest event. */
  retentionMs: number;
  /** Candle timeframe shown, and of the predictions shown (e.g. 1m). */
  timeframe: string;
  timeframeMs: number;
  /** Horizons shown, minutes; predictions and errors of other horizons are ignored. */
  horizons: readonly number[];
  /** Pairs shown; null for every pair seen, up to `maxPairs`. */
  pairs: readonly string[] | null;
  maxPairs: number;
  maxAlertsPerPair: number;
  maxSentimentPerCoin: number;
}

/** The base coin of a pair, whose sentiment the pair's page shows: BTC/USDT → BTC. */
export function coinOf(pair: string): string {
  return pair.split('/')[0] ?? pair;
}

export function quoteOf(pair: string): string {
  return pair.split('/')[1] ?? '';
}

/**
 * Everything the page of one pair shows, bounded to the retained span behind the pair's clock:
 * the newest event time of any of its series (candle open, prediction feature time, error target
 * time, alert time), so all its series cover the same span.
 */
export class PairHistory {
  readonly candles: TimeSeriesBuffer<Candle>;
  readonly predictions = new Map<number, TimeSeriesBuffer<Prediction>>();
  readonly errors = new Map<number, TimeSeriesBuffer<PredictionError>>();
  readonly alerts: TimeSeriesBuffer<Alert>;
  /** Grows on every change, so a reader can tell whether its copy is current. */
  revision = 0;
  private clock = Number.NEGATIVE_INFINITY;

  constructor(
    readonly pair: string,
    limits: HistoryLimits,
  ) {
    const perSeries = 2 * Math.ceil(limits.retentionMs / limits.timeframeMs) + 100;
    // A revised candle (late trades) replaces the one held; an older revision arriving late does not.
    this.candles = new TimeSeriesBuffer<Candle>({
      time: (candle) => candle.openTime,
      key: (candle) => String(candle.openTime),
      retentionMs: limits.retentionMs,
      maxItems: perSeries,
      prefer: (held, incoming) => incoming.revision > held.revision,
    });
    for (const horizon of limits.horizons) {
      // One prediction per feature time: a replay re-publishes the same id, and after a model swap
      // the most recently made prediction is the one served.
      this.predictions.set(
        horizon,
        new TimeSeriesBuffer<Prediction>({
          time: (prediction) => prediction.featureTime,
          key: (prediction) => String(prediction.featureTime),
          retentionMs: limits.retentionMs,
          maxItems: perSeries,
          prefer: (held, incoming) => incoming.createdAt >= held.createdAt,
        }),
      );
      // The monitor republishes a record when it re-scores it (a late or revised candle): last one wins.
      this.errors.set(
        horizon,
        new TimeSeriesBuffer<PredictionError>({
          time: (record) => record.targetTime,
          key: (record) => record.predictionId,
          retentionMs: limits.retentionMs,
          maxItems: perSeries,
        }),
      );
    }
    this.alerts = alertBuffer(limits);
  }

  /** The pair's newest event time; -Infinity while it has none. */
  get newestTime(): number {
    return this.clock;
  }

  addCandle(candle: Candle): Outcome {
    return this.record(this.candles.upsert(candle), candle.openTime);
  }

  addPrediction(prediction: Prediction): Outcome {
    const buffer = this.predictions.get(prediction.horizon);
    if (buffer === undefined) return 'ignored';
    return this.record(buffer.upsert(prediction), prediction.featureTime);
  }

  addError(record: PredictionError): Outcome {
    const buffer = this.errors.get(record.horizon);
    if (buffer === undefined) return 'ignored';
    return this.record(buffer.upsert(record), record.targetTime);
  }

  addAlert(alert: Alert): Outcome {
    return this.record(this.alerts.upsert(alert), alert.time);
  }

  private record(outcome: UpsertOutcome, time: number): Outcome {
    if (outcome === 'too-old') return 'too-old';
    if (outcome === 'kept') return 'kept';
    this.revision += 1;
    if (time > this.clock) {
      this.clock = time;
      this.candles.advanceTo(time);
      this.alerts.advanceTo(time);
      for (const buffer of this.predictions.values()) buffer.advanceTo(time);
      for (const buffer of this.errors.values()) buffer.advanceTo(time);
    }
    return 'accepted';
  }
}

/** The scored news of one coin, bounded by the coin's own newest publication time. */
export class CoinSentiment {
  readonly items: TimeSeriesBuffer<Sentiment>;
  revision = 0;

  constructor(
    readonly coin: string,
    limits: HistoryLimits,
  ) {
    // A news item scored again (another model, a retry) replaces the earlier score.
    this.items = new TimeSeriesBuffer<Sentiment>({
      time: (item) => item.publishedAt,
      key: (item) => item.newsId,
      retentionMs: limits.retentionMs,
      maxItems: limits.maxSentimentPerCoin,
      prefer: (held, incoming) => incoming.scoredAt >= held.scoredAt,
    });
  }

  add(item: Sentiment): Outcome {
    const outcome = this.items.upsert(item);
    if (outcome === 'too-old') return 'too-old';
    if (outcome === 'kept') return 'kept';
    this.revision += 1;
    return 'accepted';
  }
}

/**
 * The dashboard's whole memory: one history per pair shown, the sentiment of their coins, and the
 * alerts that concern no pair. Pure: messages in, state out; the Kafka adapter feeds it.
 */
export class MarketHistory {
  private readonly pairs = new Map<string, PairHistory>();
  private readonly coins = new Map<string, CoinSentiment>();
  readonly globalAlerts: TimeSeriesBuffer<Alert>;
  globalRevision = 0;

  constructor(readonly limits: HistoryLimits) {
    this.globalAlerts = alertBuffer(limits);
    for (const pair of limits.pairs ?? []) this.pairFor(pair);
  }

  pairNames(): string[] {
    return [...this.pairs.keys()].sort();
  }

  pair(pair: string): PairHistory | undefined {
    return this.pairs.get(pair);
  }

  coin(coin: string): CoinSentiment | undefined {
    return this.coins.get(coin);
  }

  addCandle(candle: Candle): Outcome {
    if (candle.timeframe !== this.limits.timeframe) return 'ignored';
    return this.pairFor(candle.pair)?.addCandle(candle) ?? 'ignored';
  }

  addPrediction(prediction: Prediction): Outcome {
    if (prediction.timeframe !== this.limits.timeframe) return 'ignored';
    return this.pairFor(prediction.pair)?.addPrediction(prediction) ?? 'ignored';
  }

  addError(record: PredictionError): Outcome {
    // Error records carry no timeframe: they are shown for their pair whatever the timeframe of
    // their prediction (the predictor serves one timeframe per pair).
    return this.pairFor(record.pair)?.addError(record) ?? 'ignored';
  }

  addAlert(alert: Alert): Outcome {
    if (alert.pair === null) {
      const outcome = this.globalAlerts.upsert(alert);
      if (outcome === 'too-old') return 'too-old';
      if (outcome === 'kept') return 'kept';
      this.globalRevision += 1;
      return 'accepted';
    }
    return this.pairFor(alert.pair)?.addAlert(alert) ?? 'ignored';
  }

  addSentiment(item: Sentiment): Outcome {
    return this.coinFor(item.coin)?.add(item) ?? 'ignored';
  }

  /** The history of a pair shown here, created on first sight; undefined for a pair not shown. */
  private pairFor(pair: string): PairHistory | undefined {
    const held = this.pairs.get(pair);
    if (held !== undefined) return held;
    const listed = this.limits.pairs;
    if (listed !== null ? !listed.includes(pair) : this.pairs.size >= this.limits.maxPairs) return undefined;
    const history = new PairHistory(pair, this.limits);
    this.pairs.set(pair, history);
    return history;
  }

  private coinFor(coin: string): CoinSentiment | undefined {
    const held = this.coins.get(coin);
    if (held !== undefined) return held;
    const listed = this.limits.pairs;
    const wanted =
      listed !== null ? listed.some((pair) => coinOf(pair) === coin) : this.coins.size < this.limits.maxPairs;
    if (!wanted) return undefined;
    const history = new CoinSentiment(coin, this.limits);
    this.coins.set(coin, history);
    return history;
  }
}

function alertBuffer(limits: HistoryLimits): TimeSeriesBuffer<Alert> {
  return new TimeSeriesBuffer<Alert>({
    time: (alert) => alert.time,
    key: (alert) => alert.id,
    retentionMs: limits.retentionMs,
    maxItems: limits.maxAlertsPerPair,
  });
}
