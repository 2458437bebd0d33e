import type { FeatureRow, Logger, Prediction, Received } from '@crypto-predict/core';
import type { BatchOutcome } from './domain/serving-ladder.js';
import type { PredictorMetrics } from './metrics.js';

/** What a batch needs of a pair's predictor. */
export interface PairPredicting {
  predict(rows: readonly FeatureRow[], createdAt: number): Promise<BatchOutcome>;
}

export interface BatchHandlerOptions {
  timeframe: string;
  pairs: ReadonlyMap<string, PairPredicting>;
  /** Makes the predictions durable (Elasticsearch, then topic); a throw makes the consumer retry the batch. */
  publish: (predictions: Prediction[]) => Promise<void>;
  clock: () => number;
  metrics: PredictorMetrics;
  log: Logger;
}

/**
 * Handles one consumed batch of feature rows: predicts each served pair's rows, then publishes. When
 * publishing fails and the consumer retries the same batch, the predictions already made are
 * published again as they were: predicting again could use a model swapped in meanwhile and write a
 * second, differently identified set for the same rows.
 */
export function createBatchHandler(options: BatchHandlerOptions): (messages: Received<FeatureRow>[]) => Promise<void> {
  const { metrics } = options;
  let pending: { batch: string; predictions: Prediction[] } | null = null;

  return async (messages) => {
    const first = messages[0];
    const last = messages.at(-1);
    const batch =
      first === undefined || last === undefined
        ? ''
        : `${first.topic}/${first.partition}/${first.offset}-${last.offset}`;
    if (pending !== null && pending.batch === batch) {
      options.log.info({ batch, predictions: pending.predictions.length }, 'retrying the publication of a batch');
      await options.publish(pending.predictions);
      pending = null;
      return;
    }
    const done = metrics.batchSeconds.startTimer();
    const byPair = new Map<string, FeatureRow[]>();
    for (const { value: row } of messages) {
      if (row.timeframe !== options.timeframe) {
        metrics.ignored.inc({ reason: 'timeframe' });
        continue;
      }
      if (!options.pairs.has(row.pair)) {
        metrics.ignored.inc({ reason: 'pair' });
        continue;
      }
      const list = byPair.get(row.pair) ?? [];
      list.push(row);
      byPair.set(row.pair, list);
    }
    const createdAt = options.clock();
    const predictions: Prediction[] = [];
    for (const [pair, rows] of byPair) {
      const predictor = options.pairs.get(pair);
      if (predictor === undefined) continue;
      const outcome = await predictor.predict(rows, createdAt);
      recordOutcome(metrics, pair, outcome);
      predictions.push(...outcome.predictions);
    }
    pending = { batch, predictions };
    await options.publish(predictions);
    pending = null;
    done();
  };
}

function recordOutcome(metrics: PredictorMetrics, pair: string, outcome: BatchOutcome): void {
  for (const [rung, count] of Object.entries(outcome.rows)) if (count > 0) metrics.rows.inc({ pair, rung }, count);
  if (outcome.skipped > 0) metrics.skipped.inc({ pair }, outcome.skipped);
  const byServedBy = new Map<string, number>();
  for (const prediction of outcome.predictions) {
    byServedBy.set(prediction.model.servedBy, (byServedBy.get(prediction.model.servedBy) ?? 0) + 1);
  }
  for (const [servedBy, count] of byServedBy) metrics.predictions.inc({ pair, served_by: servedBy }, count);
}
