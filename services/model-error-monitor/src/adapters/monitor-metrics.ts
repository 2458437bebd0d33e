import { formatDuration } from '@crypto-predict/core';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ActualJoiner } from '../domain/actual-joiner.js';
import type { ErrorMonitor } from '../domain/error-monitor.js';
import type { SeriesWindowMetrics, WindowMetrics } from '../domain/rolling-metrics.js';

const PREFIX = 'model_error_monitor_';

/** The service's own counters: what came in, what went out, what was skipped and why. */
export function createMonitorMetrics(registry: Registry) {
  const registers = [registry];
  return {
    predictions: new Counter({
      name: `${PREFIX}predictions_total`,
      help: 'Predictions received, by outcome (pending, resolved, duplicate, other-pair, invalid)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    candles: new Counter({
      name: `${PREFIX}candles_total`,
      help: 'Candles received, by outcome (used, not-1m, stale-candle, older-revision, unchanged-candle, other-pair)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    featureRows: new Counter({
      name: `${PREFIX}feature_rows_total`,
      help: 'Feature rows received for feature drift',
      registers,
    }),
    records: new Counter({
      name: `${PREFIX}records_total`,
      help: 'Error records written, by status, cause and kind (first or rescore)',
      labelNames: ['pair', 'status', 'cause', 'kind'] as const,
      registers,
    }),
    alerts: new Counter({
      name: `${PREFIX}alerts_total`,
      help: 'Alerts published, by kind and severity',
      labelNames: ['kind', 'severity'] as const,
      registers,
    }),
    alertsSuppressed: new Counter({
      name: `${PREFIX}alerts_suppressed_total`,
      help: 'Alerts held back by the cooldown',
      registers,
    }),
    retrainRequests: new Counter({
      name: `${PREFIX}retrain_requests_total`,
      help: 'Retrain requests published, by pair',
      labelNames: ['pair'] as const,
      registers,
    }),
    webhook: new Counter({
      name: `${PREFIX}webhook_deliveries_total`,
      help: 'Alert webhook deliveries, by outcome (delivered, failed, dropped)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    storeRefused: new Counter({
      name: `${PREFIX}store_refused_total`,
      help: 'Documents Elasticsearch refused for good (logged with the reason)',
      labelNames: ['index'] as const,
      registers,
    }),
    flushFailures: new Counter({
      name: `${PREFIX}flush_failures_total`,
      help: 'Failed attempts to make outputs durable (retried)',
      registers,
    }),
  };
}

export type MonitorMetrics = ReturnType<typeof createMonitorMetrics>;

const WINDOW_GAUGES: { name: string; help: string; value: (m: WindowMetrics) => number | null }[] = [
  { name: 'mae', help: 'Mean absolute error of the price, quote currency', value: (m) => m.mae },
  { name: 'mae_naive', help: 'MAE of the naive last-price forecast on the same predictions', value: (m) => m.maeNaive },
  { name: 'rmse', help: 'Root mean squared error of the price', value: (m) => m.rmse },
  { name: 'rmse_naive', help: 'RMSE of the naive forecast', value: (m) => m.rmseNaive },
  { name: 'mape_percent', help: 'Mean absolute percentage error', value: (m) => m.mape },
  { name: 'mape_naive_percent', help: 'MAPE of the naive forecast', value: (m) => m.mapeNaive },
  { name: 'mae_ratio_vs_naive', help: 'MAE / naive MAE (below 1 beats naive)', value: (m) => m.maeRatioVsNaive },
  {
    name: 'directional_accuracy',
    help: 'Share of non-zero moves whose direction was right (naive has none)',
    value: (m) => m.directionalAccuracy,
  },
  { name: 'coverage', help: 'Share of actuals inside the interval', value: (m) => m.coverage },
  { name: 'nominal_coverage', help: 'Nominal coverage of the intervals', value: (m) => m.nominalCoverage },
  { name: 'interval_width_percent', help: 'Mean interval width, % of the last close', value: (m) => m.meanWidthPct },
  { name: 'window_scored', help: 'Scored records in the window', value: (m) => m.scored },
  {
    name: 'window_actual_missing',
    help: 'Records in the window whose actual never came',
    value: (m) => m.actualMissing,
  },
];

/**
 * Gauges read from the domain at scrape time: rolling metrics per pair, horizon, model version and
 * window; drift statistics; pending predictions and watermarks per pair.
 */
export function registerDomainGauges(registry: Registry, monitor: ErrorMonitor, joiner: ActualJoiner): void {
  const registers = [registry];
  const labelNames = ['pair', 'horizon', 'model', 'version', 'window'] as const;
  // One snapshot serves every gauge of a scrape.
  let cached: { at: number; value: SeriesWindowMetrics[] } | null = null;
  const snapshot = (): SeriesWindowMetrics[] => {
    const now = Date.now();
    if (cached === null || now - cached.at > 1_000) cached = { at: now, value: monitor.metrics.snapshot() };
    return cached.value;
  };
  for (const spec of WINDOW_GAUGES) {
    new Gauge({
      name: `${PREFIX}${spec.name}`,
      help: `${spec.help}, over a rolling window of event time`,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const s of snapshot()) {
          const value = spec.value(s.metrics);
          if (value === null) continue;
          this.set(
            {
              pair: s.pair,
              horizon: String(s.horizon),
              model: s.modelName,
              version: s.modelVersion,
              window: formatDuration(s.windowMs),
            },
            value,
          );
        }
      },
    });
  }

  type SeriesDrift = ReturnType<typeof monitor.seriesDrift>[number];
  /** One gauge per drift statistic, labelled by series; a null value is left out. */
  const seriesGauge = (name: string, help: string, value: (s: SeriesDrift) => number | null): void => {
    new Gauge({
      name: `${PREFIX}${name}`,
      help,
      labelNames: ['pair', 'horizon', 'model', 'version'] as const,
      registers,
      collect() {
        this.reset();
        for (const s of monitor.seriesDrift()) {
          const v = value(s);
          if (v === null) continue;
          this.set({ pair: s.pair, horizon: String(s.horizon), model: s.modelName, version: s.modelVersion }, v);
        }
      },
    });
  };
  seriesGauge(
    'error_drift_statistic',
    'Page-Hinkley statistic on absolute % error (alarm above PH_LAMBDA)',
    (s) => s.errorDrift.statistic,
  );
  seriesGauge('error_drift_alarms', 'Page-Hinkley alarms since the series started', (s) => s.errorDrift.alarms);
  seriesGauge(
    'coverage_z',
    'Binomial z of the rolling interval coverage against nominal (negative: under-covering)',
    (s) => s.coverage.z,
  );
  new Gauge({
    name: `${PREFIX}feature_psi`,
    help: 'PSI of a live feature against the champion’s training reference',
    labelNames: ['pair', 'feature', 'model', 'version'] as const,
    registers,
    collect() {
      this.reset();
      for (const pair of monitor.featureDrift()) {
        for (const f of pair.features)
          this.set({ pair: pair.pair, feature: f.feature, model: pair.modelName, version: pair.modelVersion }, f.psi);
      }
    },
  });
  new Gauge({
    name: `${PREFIX}pending_predictions`,
    help: 'Predictions waiting for their actual',
    labelNames: ['pair'] as const,
    registers,
    collect() {
      this.reset();
      for (const pair of joiner.pairsSeen()) this.set({ pair }, joiner.pendingCount(pair));
    },
  });
  new Gauge({
    name: `${PREFIX}watermark_seconds`,
    help: 'Newest 1m candle close time seen per pair (event time, Unix seconds)',
    labelNames: ['pair'] as const,
    registers,
    collect() {
      this.reset();
      for (const pair of joiner.pairsSeen()) {
        const watermark = joiner.watermark(pair);
        if (watermark !== null) this.set({ pair }, watermark / 1_000);
      }
    },
  });
}
