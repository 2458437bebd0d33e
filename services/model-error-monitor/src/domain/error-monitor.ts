import type { Alert, FeatureRow, RetrainRequest } from '@crypto-predict/core';
import type { Resolution } from './actual-joiner.js';
import { AlertCooldown } from './alert-cooldown.js';
import { CoverageDrift, type CoverageCheck, type CoverageDriftOptions } from './coverage-drift.js';
import { PageHinkley, type PageHinkleyOptions, type PageHinkleyState } from './page-hinkley.js';
import { FeatureDrift, type FeatureDriftOptions, type FeaturePsi, type FeatureReference } from './psi.js';
import { RollingMetrics, sampleFromRecord, type SeriesKey, type WindowMetrics } from './rolling-metrics.js';

export interface RetrainPolicy {
  /** Error-drift alarms of one series within `lookbackMs` that make the drift "sustained". */
  minAlarms: number;
  lookbackMs: number;
  /** At most one retrain request per pair and timeframe per cooldown. */
  cooldownMs: number;
}

export interface MonitorOptions {
  service: string;
  windowsMs: readonly number[];
  pageHinkley: PageHinkleyOptions;
  coverage: CoverageDriftOptions;
  featureDrift: FeatureDriftOptions & { evaluateEveryRows: number };
  alertCooldownMs: number;
  retrain: RetrainPolicy;
}

export interface MonitorOutput {
  alerts: Alert[];
  retrainRequests: RetrainRequest[];
  /** Alerts held back by the cooldown. */
  suppressed: number;
}

/** The training reference of the model serving a pair, for feature drift. */
export interface ModelReference {
  modelName: string;
  modelVersion: string;
  timeframe: string;
  featureSchemaVersion: number;
  reference: Readonly<Record<string, FeatureReference>>;
}

export interface SeriesDrift extends SeriesKey {
  errorDrift: PageHinkleyState;
  coverage: CoverageCheck;
}

export interface PairFeatureDrift {
  pair: string;
  modelName: string;
  modelVersion: string;
  time: number | null;
  features: FeaturePsi[];
}

interface SeriesState {
  key: SeriesKey;
  timeframe: string;
  errorDrift: PageHinkley;
  coverage: CoverageDrift;
  lastCoverage: CoverageCheck;
  alarmTimes: number[];
}

interface PairFeatures {
  model: ModelReference;
  drift: FeatureDrift;
  rowsSinceEvaluation: number;
  last: FeaturePsi[];
  lastTime: number | null;
}

/**
 * What the monitor learns from error records and live features: rolling metrics, error drift
 * (Page-Hinkley), coverage drift (binomial test), feature drift (PSI), and the alerts and retrain
 * requests that follow, deduplicated by an event-time cooldown. Pure: time comes from the records.
 */
export class ErrorMonitor {
  readonly metrics: RollingMetrics;
  private readonly series = new Map<string, SeriesState>();
  private readonly features = new Map<string, PairFeatures>();
  private readonly alertCooldown: AlertCooldown;
  private readonly retrainCooldown: AlertCooldown;

  constructor(private readonly options: MonitorOptions) {
    this.metrics = new RollingMetrics(options.windowsMs);
    this.alertCooldown = new AlertCooldown(options.alertCooldownMs);
    this.retrainCooldown = new AlertCooldown(options.retrain.cooldownMs);
  }

  /**
   * Takes resolutions from the joiner. Re-scored records only update the metrics (their first
   * record already fed the detectors). `quiet` rebuilds state (after a restart) without alerting.
   */
  observe(resolutions: readonly Resolution[], { quiet = false }: { quiet?: boolean } = {}): MonitorOutput {
    const out: MonitorOutput = { alerts: [], retrainRequests: [], suppressed: 0 };
    for (const resolution of resolutions) {
      const { record, prediction } = resolution;
      const key: SeriesKey = {
        pair: record.pair,
        horizon: record.horizon,
        modelName: record.model.name,
        modelVersion: record.model.version,
      };
      this.metrics.add(key, sampleFromRecord(record, prediction.coverage));
      if (resolution.kind !== 'first') continue;
      const time = record.scoredAt;

      if (record.status === 'actual-missing') {
        this.raise(out, quiet, {
          kind: 'actual-missing',
          severity: 'warning',
          pair: record.pair,
          horizon: record.horizon,
          time,
          message: `no 1m candle closed at ${new Date(record.targetTime).toISOString()} for ${record.pair}; prediction ${record.predictionId} could not be scored (${resolution.cause})`,
          details: { predictionId: record.predictionId, targetTime: record.targetTime, cause: resolution.cause },
        });
        continue;
      }
      // Overlapping horizons share most of their price path, so consecutive errors of a long
      // horizon are strongly correlated; the detectors see one prediction per horizon length.
      if (!nonOverlapping(record.featureTime, record.horizon)) continue;
      const series = this.seriesState(key, prediction.timeframe);

      const absPctError =
        record.absError !== null && record.actualPrice !== null ? (record.absError / record.actualPrice) * 100 : null;
      if (absPctError !== null && series.errorDrift.update(absPctError)) {
        this.onErrorDrift(out, quiet, series, time);
      }
      if (record.inInterval !== null) {
        const check = series.coverage.update(record.inInterval, prediction.coverage);
        series.lastCoverage = check;
        if (check.verdict === 'under-covering' || check.verdict === 'over-covering') {
          this.raise(out, quiet, {
            kind: 'coverage-drift',
            severity: check.verdict === 'under-covering' ? 'warning' : 'info',
            pair: key.pair,
            horizon: key.horizon,
            time,
            message: `${key.pair} ${key.horizon}m intervals of ${key.modelName}@${key.modelVersion} are ${check.verdict}: coverage ${formatPct(check.coverage)} over the last ${check.n} against nominal ${formatPct(check.nominal)}`,
            details: { ...key, ...check },
          });
        }
      }
    }
    return out;
  }

  /** Sets (or, with null, clears) the training reference feature drift is measured against. */
  setReference(pair: string, model: ModelReference | null): void {
    if (model === null) {
      this.features.delete(pair);
      return;
    }
    const current = this.features.get(pair);
    if (
      current !== undefined &&
      current.model.modelName === model.modelName &&
      current.model.modelVersion === model.modelVersion
    )
      return;
    this.features.set(pair, {
      model,
      drift: new FeatureDrift(model.reference, this.options.featureDrift),
      rowsSinceEvaluation: 0,
      last: [],
      lastTime: null,
    });
  }

  reference(pair: string): ModelReference | null {
    return this.features.get(pair)?.model ?? null;
  }

  observeFeatures(row: FeatureRow): MonitorOutput {
    const out: MonitorOutput = { alerts: [], retrainRequests: [], suppressed: 0 };
    const state = this.features.get(row.pair);
    if (state === undefined) return out;
    if (row.timeframe !== state.model.timeframe || row.featureSchemaVersion !== state.model.featureSchemaVersion)
      return out;
    state.drift.add(row.features);
    state.rowsSinceEvaluation += 1;
    if (state.rowsSinceEvaluation < this.options.featureDrift.evaluateEveryRows) return out;
    state.rowsSinceEvaluation = 0;
    state.last = state.drift.evaluate();
    state.lastTime = row.time;
    const drifted = state.last.filter((f) => f.severity !== 'ok').sort((a, b) => b.psi - a.psi);
    if (drifted.length === 0) return out;
    const critical = drifted.some((f) => f.severity === 'critical');
    this.raise(out, false, {
      kind: 'feature-drift',
      severity: critical ? 'critical' : 'warning',
      pair: row.pair,
      horizon: null,
      time: row.time,
      message: `${row.pair} live features drifted from the training reference of ${state.model.modelName}@${state.model.modelVersion}: ${drifted
        .slice(0, 5)
        .map((f) => `${f.feature} PSI ${f.psi.toFixed(3)}`)
        .join(', ')}`,
      details: {
        modelName: state.model.modelName,
        modelVersion: state.model.modelVersion,
        features: Object.fromEntries(
          drifted.map((f) => [f.feature, { psi: f.psi, rows: f.rows, severity: f.severity }]),
        ),
      },
    });
    return out;
  }

  seriesDrift(): SeriesDrift[] {
    return [...this.series.values()].map((s) => ({
      ...s.key,
      errorDrift: s.errorDrift.state(),
      coverage: s.lastCoverage,
    }));
  }

  featureDrift(): PairFeatureDrift[] {
    return [...this.features.entries()].map(([pair, state]) => ({
      pair,
      modelName: state.model.modelName,
      modelVersion: state.model.modelVersion,
      time: state.lastTime,
      features: state.last,
    }));
  }

  private onErrorDrift(out: MonitorOutput, quiet: boolean, series: SeriesState, time: number): void {
    const { key } = series;
    const shortest = this.shortestWindowMetrics(key);
    const losingToNaive =
      shortest?.maeRatioVsNaive !== null && shortest?.maeRatioVsNaive !== undefined && shortest.maeRatioVsNaive > 1;
    const state = series.errorDrift.state();
    this.raise(out, quiet, {
      kind: 'error-drift',
      severity: losingToNaive ? 'critical' : 'warning',
      pair: key.pair,
      horizon: key.horizon,
      time,
      message: `${key.pair} ${key.horizon}m absolute error of ${key.modelName}@${key.modelVersion} rose above its in-control level (Page-Hinkley alarm ${state.alarms})${losingToNaive ? '; the model now loses to the naive forecast' : ''}`,
      details: { ...key, referenceAbsPctError: state.reference, alarms: state.alarms, recent: shortest },
    });

    const lookbackStart = time - this.options.retrain.lookbackMs;
    series.alarmTimes = [...series.alarmTimes.filter((t) => t > lookbackStart), time];
    if (series.alarmTimes.length < this.options.retrain.minAlarms) return;
    if (quiet || !this.retrainCooldown.admit(`${key.pair}|${series.timeframe}`, time)) return;
    const reason = `sustained error drift: ${series.alarmTimes.length} Page-Hinkley alarms on ${key.pair} ${key.horizon}m absolute error of ${key.modelName}@${key.modelVersion} within ${Math.round(this.options.retrain.lookbackMs / 60_000)} min of event time`;
    out.retrainRequests.push({
      v: 1,
      id: `retrain:${key.pair.replace('/', '-')}:${series.timeframe}:${time}`,
      pair: key.pair,
      timeframe: series.timeframe,
      reason,
      requestedBy: this.options.service,
      time,
    });
    this.raise(out, quiet, {
      kind: 'retrain-requested',
      severity: 'info',
      pair: key.pair,
      horizon: null,
      time,
      message: `asked the trainer to retrain ${key.pair} ${series.timeframe}: ${reason}`,
      details: { ...key, timeframe: series.timeframe },
    });
  }

  private shortestWindowMetrics(key: SeriesKey): WindowMetrics | null {
    return this.metrics.seriesMetrics(key, Math.min(...this.options.windowsMs));
  }

  private raise(
    out: MonitorOutput,
    quiet: boolean,
    alert: Omit<Alert, 'v' | 'id' | 'details'> & { horizon: number | null; details: Record<string, unknown> },
  ): void {
    if (quiet) return;
    const { horizon, ...rest } = alert;
    const scope = `${alert.kind}|${alert.pair ?? 'global'}|${horizon ?? 'all'}`;
    if (!this.alertCooldown.admit(scope, alert.time)) {
      out.suppressed += 1;
      return;
    }
    out.alerts.push({
      v: 1,
      id: `${alert.kind}:${(alert.pair ?? 'global').replace('/', '-')}:${horizon ?? 'all'}:${alert.time}`,
      ...rest,
      details: { ...alert.details, horizon },
    });
  }

  private seriesState(key: SeriesKey, timeframe: string): SeriesState {
    const id = `${key.pair}|${key.horizon}|${key.modelName}|${key.modelVersion}`;
    let state = this.series.get(id);
    if (state === undefined) {
      const coverage = new CoverageDrift(this.options.coverage);
      state = {
        key,
        timeframe,
        errorDrift: new PageHinkley(this.options.pageHinkley),
        coverage,
        lastCoverage: coverage.check(),
        alarmTimes: [],
      };
      this.series.set(id, state);
    }
    return state;
  }
}

/** One prediction per horizon length: the ones made on a minute divisible by the horizon. */
export function nonOverlapping(featureTime: number, horizon: number): boolean {
  return Math.floor(featureTime / 60_000) % horizon === 0;
}

function formatPct(value: number | null): string {
  return value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`;
}
