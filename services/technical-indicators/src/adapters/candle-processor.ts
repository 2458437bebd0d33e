import { describeError, type Candle, type FeatureRow, type Logger } from '@crypto-predict/core';
import type { FeatureEngine, SeriesSnapshot } from '../domain/features/feature-engine.js';
import type { IndicatorMetrics } from './metrics.js';

/** Where engine state lives between runs (IndicatorStateStore in production, a fake in tests). */
export interface EngineStateStore {
  save(snapshots: readonly SeriesSnapshot[], candles: readonly Candle[]): Promise<void>;
  recentCandles(pair: string, timeframe: string, before: number, limit: number): Promise<Candle[]>;
}

export interface CandleProcessorOptions {
  engine: FeatureEngine;
  /** Sends rows to the features topic; resolves once the broker has them. */
  publish: (rows: FeatureRow[]) => Promise<void>;
  state?: EngineStateStore;
  log: Logger;
  metrics?: IndicatorMetrics;
  /** Candles replayed from history when a series starts without a snapshot. */
  warmupCandles: number;
  /** Whether consumed candles go to candle_history with the snapshots. */
  keepCandles: boolean;
}

/**
 * The live compute path around the pure FeatureEngine: a batch of candles becomes feature rows,
 * the rows are published, then the touched series' snapshots (and the candles) are saved; only
 * then does the caller commit offsets. If anything fails, the engine is rolled back to its state
 * before the batch, so the retried batch computes the same rows again.
 */
export class CandleProcessor {
  constructor(private readonly options: CandleProcessorOptions) {}

  async handle(candles: readonly Candle[]): Promise<FeatureRow[]> {
    const { engine, log, metrics } = this.options;
    const accepted = candles.filter((candle) => engine.accepts(candle.timeframe));
    for (const candle of candles)
      if (!engine.accepts(candle.timeframe))
        metrics?.candles.inc({ timeframe: candle.timeframe, outcome: 'timeframe' });
    if (accepted.length === 0) return [];
    const stop = metrics?.computeSeconds.startTimer();
    const touched = new Map<string, { pair: string; timeframe: string; before: SeriesSnapshot | undefined }>();
    for (const candle of accepted) {
      const key = `${candle.pair}|${candle.timeframe}`;
      if (!touched.has(key)) {
        if (!engine.has(candle.pair, candle.timeframe)) await this.warmUp(candle);
        touched.set(key, {
          pair: candle.pair,
          timeframe: candle.timeframe,
          before: engine.snapshot(candle.pair, candle.timeframe),
        });
      }
    }
    try {
      const rows: FeatureRow[] = [];
      for (const candle of accepted) {
        const outcome = engine.apply(candle);
        if (outcome.kind === 'ignored') {
          metrics?.candles.inc({ timeframe: candle.timeframe, outcome: outcome.reason });
          if (outcome.reason === 'late-revision' || outcome.reason === 'stale-revision') {
            log.warn(
              {
                pair: candle.pair,
                timeframe: candle.timeframe,
                openTime: candle.openTime,
                revision: candle.revision,
                reason: outcome.reason,
              },
              'candle revision ignored: indicators have moved past that bar, its features are not recomputed',
            );
          }
          continue;
        }
        metrics?.candles.inc({ timeframe: candle.timeframe, outcome: outcome.revised ? 'revised' : 'new' });
        if (outcome.gapFilled > 0) {
          metrics?.gapBars.inc({ timeframe: candle.timeframe }, outcome.gapFilled);
          log.warn(
            { pair: candle.pair, timeframe: candle.timeframe, openTime: candle.openTime, bars: outcome.gapFilled },
            'hole in the candle series filled with empty bars',
          );
        }
        rows.push(...outcome.rows);
      }
      await this.options.publish(rows);
      for (const row of rows) metrics?.rowsPublished.inc({ timeframe: row.timeframe });
      if (this.options.state !== undefined) {
        const snapshots = [...touched.values()].flatMap(
          ({ pair, timeframe }) => engine.snapshot(pair, timeframe) ?? [],
        );
        await this.options.state.save(snapshots, this.options.keepCandles ? accepted : []);
      }
      metrics?.series.set(engine.seriesKeys().length);
      stop?.();
      return rows;
    } catch (error) {
      for (const { pair, timeframe, before } of touched.values()) {
        engine.drop(pair, timeframe);
        if (before !== undefined) engine.restore(before);
      }
      log.warn(
        { err: describeError(error), candles: accepted.length },
        'batch failed; engine rolled back to its state before the batch',
      );
      throw error;
    }
  }

  /** Starts a series that has no snapshot by replaying its stored candles (rows are not re-emitted). */
  private async warmUp(candle: Candle): Promise<void> {
    const { engine, log, metrics, state, warmupCandles } = this.options;
    const history =
      state === undefined
        ? []
        : await state.recentCandles(candle.pair, candle.timeframe, candle.openTime, warmupCandles);
    const applied = engine.warmUp(history);
    metrics?.warmups.inc({ source: applied > 0 ? 'history' : 'cold' });
    log.info(
      {
        pair: candle.pair,
        timeframe: candle.timeframe,
        candles: applied,
        from: history[0]?.openTime,
        to: history.at(-1)?.openTime,
      },
      applied > 0 ? 'series warmed up from candle history' : 'series starts cold: no snapshot and no candle history',
    );
  }
}
