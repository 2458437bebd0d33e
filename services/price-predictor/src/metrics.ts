import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface PredictorMetrics {
  rows: Counter<'pair' | 'rung'>;
  predictions: Counter<'pair' | 'served_by'>;
  skipped: Counter<'pair'>;
  ignored: Counter<'reason'>;
  refusals: Counter<'pair' | 'kind'>;
  loads: Counter<'pair' | 'outcome'>;
  pollErrors: Counter<'pair'>;
  servingRung: Gauge<'pair' | 'rung'>;
  batchSeconds: Histogram;
  indexFailures: Counter;
}

const RUNGS = ['champion', 'pinned', 'previous', 'naive'] as const;

export function createPredictorMetrics(registry: Registry): PredictorMetrics {
  const registers = [registry];
  return {
    rows: new Counter({
      name: 'predictor_rows_total',
      help: 'Feature rows predicted, by the rung that served them',
      labelNames: ['pair', 'rung'],
      registers,
    }),
    predictions: new Counter({
      name: 'predictor_predictions_total',
      help: 'Predictions emitted',
      labelNames: ['pair', 'served_by'],
      registers,
    }),
    skipped: new Counter({
      name: 'predictor_skipped_total',
      help: 'Row-horizons with no prediction: volatility still warming up',
      labelNames: ['pair'],
      registers,
    }),
    ignored: new Counter({
      name: 'predictor_rows_ignored_total',
      help: 'Feature rows of a pair or timeframe this predictor does not serve',
      labelNames: ['reason'],
      registers,
    }),
    refusals: new Counter({
      name: 'predictor_model_refusals_total',
      help: 'Models refused: contract mismatch or failed run',
      labelNames: ['pair', 'kind'],
      registers,
    }),
    loads: new Counter({
      name: 'predictor_model_loads_total',
      help: 'Model loads, by outcome',
      labelNames: ['pair', 'outcome'],
      registers,
    }),
    pollErrors: new Counter({
      name: 'predictor_registry_poll_errors_total',
      help: 'Failed polls of the model registry',
      labelNames: ['pair'],
      registers,
    }),
    servingRung: new Gauge({
      name: 'predictor_serving_rung',
      help: '1 for the rung of the fallback ladder that serves each pair',
      labelNames: ['pair', 'rung'],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'predictor_batch_seconds',
      help: 'Time to predict, index and publish one batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    indexFailures: new Counter({
      name: 'predictor_index_failures_total',
      help: 'Predictions Elasticsearch refused',
      registers,
    }),
  };
}

export function setServingRung(metrics: PredictorMetrics, pair: string, rung: (typeof RUNGS)[number]): void {
  for (const candidate of RUNGS) metrics.servingRung.set({ pair, rung: candidate }, candidate === rung ? 1 : 0);
}
