import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The service's counters and gauges, on its ops server's /metrics. */
export function createIndicatorMetrics(registry: Registry) {
  return {
    candles: new Counter({
      name: 'ti_candles_total',
      help: 'Candles consumed, by timeframe and outcome (new, revised, duplicate, stale-revision, late-revision, timeframe)',
      labelNames: ['timeframe', 'outcome'] as const,
      registers: [registry],
    }),
    rowsPublished: new Counter({
      name: 'ti_feature_rows_published_total',
      help: 'Feature rows sent to the features topic',
      labelNames: ['timeframe'] as const,
      registers: [registry],
    }),
    gapBars: new Counter({
      name: 'ti_gap_bars_filled_total',
      help: 'Empty bars inserted for holes in a candle series',
      labelNames: ['timeframe'] as const,
      registers: [registry],
    }),
    rowsStored: new Counter({
      name: 'ti_feature_rows_stored_total',
      help: 'Feature rows written to the feature store',
      registers: [registry],
    }),
    warmups: new Counter({
      name: 'ti_series_warmups_total',
      help: 'Series started, by source: snapshot (restored state), history (candle_history replay) or cold (no history)',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    series: new Gauge({
      name: 'ti_series',
      help: 'Series (pair, timeframe) held by the engine',
      registers: [registry],
    }),
    computeSeconds: new Histogram({
      name: 'ti_compute_batch_seconds',
      help: 'Time to compute, publish and snapshot one batch of candles',
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10],
      registers: [registry],
    }),
    storeSeconds: new Histogram({
      name: 'ti_store_batch_seconds',
      help: 'Time to write one batch of feature rows to the feature store',
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10],
      registers: [registry],
    }),
  };
}

export type IndicatorMetrics = ReturnType<typeof createIndicatorMetrics>;
