import {
  AppError,
  describeError,
  type Alert,
  type Candle,
  type FeatureRow,
  type Logger,
  type PredictionError,
  type RetrainRequest,
} from '@crypto-predict/core';
import type { ActualJoiner, JoinResult, Resolution } from '../domain/actual-joiner.js';
import type { ErrorMonitor, MonitorOutput } from '../domain/error-monitor.js';
import type { ScorablePrediction } from '../domain/scorable-prediction.js';
import type { MonitorMetrics } from './monitor-metrics.js';
import type { ActualDoc, ErrorWrite, StoreBatch, StoreResult, StoredError } from './monitor-store.js';

/** Where outputs go. The store is written first; topics only once the store has them. */
export interface PipelineSinks {
  write(batch: StoreBatch): Promise<StoreResult>;
  publishErrors(records: PredictionError[]): Promise<void>;
  publishAlerts(alerts: Alert[]): Promise<void>;
  publishRetrainRequests(requests: RetrainRequest[]): Promise<void>;
  /** Forgets persisted closes older than `before`, resolving how many; best effort. */
  pruneActuals(pair: string, before: number): Promise<number>;
}

/** What a restart reads back. */
export interface RestoreSource {
  loadActuals(pairs: readonly string[] | null, retentionMs: number): Promise<ActualDoc[]>;
  loadErrors(pair: string, since: number): Promise<StoredError[]>;
  loadPending(pairs: readonly string[] | null): Promise<ScorablePrediction[]>;
}

export interface PipelineOptions {
  joiner: ActualJoiner;
  monitor: ErrorMonitor;
  sinks: PipelineSinks;
  log: Logger;
  metrics: MonitorMetrics;
  /** Pairs monitored; null for every pair. */
  pairs: readonly string[] | null;
  retentionMs: number;
  /** Longest metric window: how much error history a restart reads back for metrics and drift. */
  historyMs: number;
  /** Hands published alerts on (webhook); must not block. */
  notify?: (alerts: readonly Alert[]) => void;
}

const PRUNE_EVERY_MS = 3_600_000;

/**
 * Turns batches of predictions, candles and feature rows into durable outputs. Every batch runs
 * alone (one lock): apply to the joiner and the monitor, collect outputs in an outbox, flush the
 * outbox (store, then topics) and only then resolve, so the consumer commits after the outputs
 * are durable. A failed flush keeps the outbox; the consumer retries the batch, which re-applies
 * idempotently (duplicates are recognised) and flushes the same outbox again.
 */
export class ScoringPipeline {
  private readonly outbox = new Outbox();
  private lock: Promise<unknown> = Promise.resolve();
  private readonly pairs: ReadonlySet<string> | null;
  private readonly lastPrune = new Map<string, number>();

  constructor(private readonly options: PipelineOptions) {
    this.pairs = options.pairs === null ? null : new Set(options.pairs);
  }

  handlePredictions(predictions: readonly ScorablePrediction[]): Promise<void> {
    return this.exclusive(async () => {
      for (const prediction of predictions) {
        if (!this.monitored(prediction.pair)) {
          this.options.metrics.predictions.inc({ outcome: 'other-pair' });
          continue;
        }
        const result = this.options.joiner.addPrediction(prediction);
        this.options.metrics.predictions.inc({
          outcome: result.skipped ?? (result.pending.length > 0 ? 'pending' : 'resolved'),
        });
        this.collect(result);
      }
      await this.flush();
    });
  }

  handleCandles(candles: readonly Candle[]): Promise<void> {
    return this.exclusive(async () => {
      const advanced = new Set<string>();
      for (const candle of candles) {
        if (!this.monitored(candle.pair)) {
          this.options.metrics.candles.inc({ outcome: 'other-pair' });
          continue;
        }
        const result = this.options.joiner.addCandle(candle);
        this.options.metrics.candles.inc({ outcome: result.skipped ?? 'used' });
        if (result.skipped === null) {
          this.outbox.actual({
            pair: candle.pair,
            closeTime: candle.closeTime,
            close: candle.close,
            revision: candle.revision,
          });
          advanced.add(candle.pair);
        }
        this.collect(result);
      }
      await this.flush();
      for (const pair of advanced) this.maybePrune(pair);
    });
  }

  handleFeatures(rows: readonly FeatureRow[]): Promise<void> {
    return this.exclusive(async () => {
      for (const row of rows) {
        if (!this.monitored(row.pair)) continue;
        this.options.metrics.featureRows.inc();
        this.outbox.monitorOutput(this.options.monitor.observeFeatures(row), this.options.metrics);
      }
      await this.flush();
    });
  }

  /**
   * Rebuilds state after a (re)start: recent closes, then recent error records (metrics, drift
   * detectors and duplicate recognition, without alerting), then the pending predictions, which may
   * resolve at once against the restored closes.
   */
  restore(source: RestoreSource): Promise<{ actuals: number; errors: number; pending: number }> {
    return this.exclusive(async () => {
      const { joiner, monitor } = this.options;
      const actuals = await source.loadActuals(this.options.pairs, this.options.retentionMs);
      for (const actual of actuals) joiner.seedActual(actual.pair, actual.closeTime, actual.close, actual.revision);

      let errors = 0;
      for (const pair of joiner.pairsSeen()) {
        const watermark = joiner.watermark(pair);
        if (watermark === null) continue;
        const stored = await source.loadErrors(pair, watermark - this.options.historyMs);
        errors += stored.length;
        const resolutions: Resolution[] = stored.map(({ record, prediction }) => ({
          record,
          prediction,
          cause: 'actual',
          kind: 'first',
          wasPending: false,
          overwrite: true,
        }));
        monitor.observe(resolutions, { quiet: true });
        for (const { record, prediction } of stored) joiner.seedResolved(prediction, record.actualPrice);
      }

      const pending = await source.loadPending(this.options.pairs);
      for (const prediction of pending) {
        const result = joiner.addPrediction(prediction);
        // It came from the pending store, so whatever resolves it must also delete it there; one
        // already resolved before the restart (its record stored, its pending entry not yet gone)
        // only needs the delete.
        if (result.skipped === 'duplicate-prediction') this.outbox.dropPending(prediction.id);
        this.collect({
          ...result,
          resolutions: result.resolutions.map((r) =>
            r.prediction.id === prediction.id ? { ...r, wasPending: true } : r,
          ),
        });
      }
      await this.flush();
      return { actuals: actuals.length, errors, pending: pending.length };
    });
  }

  private collect(result: JoinResult): void {
    for (const prediction of result.pending) this.outbox.pending(prediction);
    if (result.resolutions.length === 0) return;
    for (const resolution of result.resolutions) {
      this.outbox.resolution(resolution);
      this.options.metrics.records.inc({
        pair: resolution.record.pair,
        status: resolution.record.status,
        cause: resolution.cause,
        kind: resolution.kind,
      });
    }
    this.outbox.monitorOutput(this.options.monitor.observe(result.resolutions), this.options.metrics);
  }

  private async flush(): Promise<void> {
    try {
      await this.outbox.flush(this.options.sinks, (refused) => {
        for (const item of refused) this.options.metrics.storeRefused.inc({ index: item.index });
        this.options.log.error(
          { count: refused.length, first: refused[0] },
          'Elasticsearch refused documents; they are dropped',
        );
      });
    } catch (error) {
      this.options.metrics.flushFailures.inc();
      throw AppError.from(error, 'STORE_UNAVAILABLE');
    }
    const alerts = this.outbox.takeNotified();
    if (alerts.length > 0) {
      for (const alert of alerts) {
        this.options.metrics.alerts.inc({ kind: alert.kind, severity: alert.severity });
        this.options.log[alert.severity === 'info' ? 'info' : 'warn'](
          { alert: { id: alert.id, kind: alert.kind, pair: alert.pair, severity: alert.severity } },
          alert.message,
        );
      }
      this.options.notify?.(alerts);
    }
  }

  private maybePrune(pair: string): void {
    const watermark = this.options.joiner.watermark(pair);
    if (watermark === null) return;
    const last = this.lastPrune.get(pair);
    if (last !== undefined && watermark - last < PRUNE_EVERY_MS) return;
    this.lastPrune.set(pair, watermark);
    const before = watermark - this.options.retentionMs;
    this.options.sinks.pruneActuals(pair, before).then(
      (pruned) => {
        if (pruned > 0) this.options.log.info({ pair, pruned, before }, 'pruned closes older than the retention');
      },
      (error: unknown) => {
        this.options.log.warn({ pair, err: describeError(error) }, 'could not prune old closes; will try again');
      },
    );
  }

  private monitored(pair: string): boolean {
    return this.pairs === null || this.pairs.has(pair);
  }

  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = this.lock.then(run, run);
    this.lock = next.catch(() => undefined);
    return next;
  }
}

/** Outputs not yet durable. Keyed by id, so a retried batch or a re-score replaces, never doubles. */
class Outbox {
  private readonly errors = new Map<string, ErrorWrite>();
  private readonly pendingUpserts = new Map<string, ScorablePrediction>();
  private readonly pendingDeletes = new Set<string>();
  private readonly actuals = new Map<string, ActualDoc>();
  private readonly toPublish = new Map<string, PredictionError>();
  private readonly alerts = new Map<string, Alert>();
  private readonly retrain = new Map<string, RetrainRequest>();
  private notified: Alert[] = [];

  pending(prediction: ScorablePrediction): void {
    this.pendingDeletes.delete(prediction.id);
    this.pendingUpserts.set(prediction.id, prediction);
  }

  resolution(resolution: Resolution): void {
    const { record, prediction, overwrite } = resolution;
    this.errors.set(record.predictionId, { record, prediction, overwrite });
    this.toPublish.set(record.predictionId, record);
    this.pendingUpserts.delete(prediction.id);
    // It may have been stored as pending by an earlier flush; deleting a missing entry is harmless.
    if (resolution.wasPending) this.pendingDeletes.add(prediction.id);
  }

  dropPending(id: string): void {
    this.pendingUpserts.delete(id);
    this.pendingDeletes.add(id);
  }

  actual(doc: ActualDoc): void {
    this.actuals.set(`${doc.pair}|${doc.closeTime}`, doc);
  }

  monitorOutput(output: MonitorOutput, metrics: MonitorMetrics): void {
    for (const alert of output.alerts) this.alerts.set(alert.id, alert);
    for (const request of output.retrainRequests) this.retrain.set(request.id, request);
    if (output.suppressed > 0) metrics.alertsSuppressed.inc(output.suppressed);
  }

  async flush(sinks: PipelineSinks, onRefused: (refused: StoreResult['refused']) => void): Promise<void> {
    if (this.errors.size + this.pendingUpserts.size + this.pendingDeletes.size + this.actuals.size > 0) {
      const result = await sinks.write({
        errors: [...this.errors.values()],
        pendingUpserts: [...this.pendingUpserts.values()],
        pendingDeletes: [...this.pendingDeletes],
        actuals: [...this.actuals.values()],
      });
      // A create-only record that found a stored one must not contradict it on the topic either.
      for (const id of result.alreadyStored) this.toPublish.delete(id);
      if (result.refused.length > 0) {
        for (const item of result.refused) this.toPublish.delete(item.id);
        onRefused(result.refused);
      }
      this.errors.clear();
      this.pendingUpserts.clear();
      this.pendingDeletes.clear();
      this.actuals.clear();
    }
    if (this.toPublish.size > 0) {
      await sinks.publishErrors(sortRecords([...this.toPublish.values()]));
      this.toPublish.clear();
    }
    if (this.alerts.size > 0) {
      const alerts = [...this.alerts.values()];
      await sinks.publishAlerts(alerts);
      this.alerts.clear();
      this.notified.push(...alerts);
    }
    if (this.retrain.size > 0) {
      await sinks.publishRetrainRequests([...this.retrain.values()]);
      this.retrain.clear();
    }
  }

  takeNotified(): Alert[] {
    const out = this.notified;
    this.notified = [];
    return out;
  }
}

function sortRecords(records: PredictionError[]): PredictionError[] {
  return records.sort(
    (a, b) =>
      a.targetTime - b.targetTime || (a.predictionId < b.predictionId ? -1 : a.predictionId > b.predictionId ? 1 : 0),
  );
}
