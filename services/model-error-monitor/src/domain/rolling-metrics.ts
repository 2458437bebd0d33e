import type { PredictionError } from '@crypto-predict/core';

/**
 * One error record reduced to what the rolling metrics need. Built from a PredictionError plus the
 * prediction's nominal coverage, so the same function serves live records and records read back
 * from the error index.
 */
export interface MetricSample {
  predictionId: string;
  targetTime: number;
  /** Event time the record became known; drives the series clock. */
  scoredAt: number;
  status: PredictionError['status'];
  absError: number | null;
  squaredError: number | null;
  /** |error| / actual · 100 */
  absPctError: number | null;
  directionCorrect: boolean | null;
  inInterval: boolean | null;
  /** (upper − lower) / lastClose · 100, as the trainer measures interval width. */
  widthPct: number;
  naiveAbsError: number | null;
  naiveSquaredError: number | null;
  naiveAbsPctError: number | null;
  nominalCoverage: number | null;
}

export function sampleFromRecord(record: PredictionError, nominalCoverage: number | null): MetricSample {
  const actual = record.actualPrice;
  return {
    predictionId: record.predictionId,
    targetTime: record.targetTime,
    scoredAt: record.scoredAt,
    status: record.status,
    absError: record.absError,
    squaredError: record.squaredError,
    absPctError: record.absError !== null && actual !== null ? (record.absError / actual) * 100 : null,
    directionCorrect: record.directionCorrect,
    inInterval: record.inInterval,
    widthPct: ((record.upper - record.lower) / record.lastClose) * 100,
    naiveAbsError: record.naiveAbsError,
    naiveSquaredError: record.naiveError === null ? null : record.naiveError * record.naiveError,
    naiveAbsPctError: record.naiveAbsError !== null && actual !== null ? (record.naiveAbsError / actual) * 100 : null,
    nominalCoverage,
  };
}

/**
 * Accuracy of one series over one window, beside the naive last-price forecast's. A value is null
 * when the window holds nothing it could be computed from. Percentages (mape, meanWidthPct) are in
 * percent; directionalAccuracy and coverage are fractions, as in the model contract's metrics.
 */
export interface WindowMetrics {
  /** Records in the window, scored or not. */
  count: number;
  scored: number;
  actualMissing: number;
  mae: number | null;
  rmse: number | null;
  mape: number | null;
  maeNaive: number | null;
  rmseNaive: number | null;
  mapeNaive: number | null;
  /** mae / maeNaive: below 1 the model beats the naive forecast. */
  maeRatioVsNaive: number | null;
  /** Share of predictions that got the direction right, over those where both moves were non-zero. */
  directionalAccuracy: number | null;
  directionalCount: number;
  /** Share of actuals inside [lower, upper]. */
  coverage: number | null;
  /** Mean nominal coverage of the intervals, to read coverage against. */
  nominalCoverage: number | null;
  meanWidthPct: number | null;
}

/** Metrics of a set of samples (pure: the API can call it on records it read itself). */
export function computeWindowMetrics(samples: Iterable<MetricSample>): WindowMetrics {
  let count = 0;
  let scored = 0;
  let sumAbs = 0;
  let sumSq = 0;
  let sumAbsPct = 0;
  let sumNaiveAbs = 0;
  let sumNaiveSq = 0;
  let sumNaiveAbsPct = 0;
  let directional = 0;
  let directionalRight = 0;
  let intervals = 0;
  let covered = 0;
  let sumWidth = 0;
  let nominals = 0;
  let sumNominal = 0;
  for (const sample of samples) {
    count += 1;
    if (sample.status !== 'scored') continue;
    if (
      sample.absError === null ||
      sample.squaredError === null ||
      sample.absPctError === null ||
      sample.naiveAbsError === null ||
      sample.naiveSquaredError === null ||
      sample.naiveAbsPctError === null
    ) {
      continue;
    }
    scored += 1;
    sumAbs += sample.absError;
    sumSq += sample.squaredError;
    sumAbsPct += sample.absPctError;
    sumNaiveAbs += sample.naiveAbsError;
    sumNaiveSq += sample.naiveSquaredError;
    sumNaiveAbsPct += sample.naiveAbsPctError;
    sumWidth += sample.widthPct;
    if (sample.directionCorrect !== null) {
      directional += 1;
      if (sample.directionCorrect) directionalRight += 1;
    }
    if (sample.inInterval !== null) {
      intervals += 1;
      if (sample.inInterval) covered += 1;
    }
    if (sample.nominalCoverage !== null) {
      nominals += 1;
      sumNominal += sample.nominalCoverage;
    }
  }
  const mean = (sum: number, n: number): number | null => (n === 0 ? null : sum / n);
  const mae = mean(sumAbs, scored);
  const maeNaive = mean(sumNaiveAbs, scored);
  const rmse = mean(sumSq, scored);
  const rmseNaive = mean(sumNaiveSq, scored);
  return {
    count,
    scored,
    actualMissing: count - scored,
    mae,
    rmse: rmse === null ? null : Math.sqrt(rmse),
    mape: mean(sumAbsPct, scored),
    maeNaive,
    rmseNaive: rmseNaive === null ? null : Math.sqrt(rmseNaive),
    mapeNaive: mean(sumNaiveAbsPct, scored),
    maeRatioVsNaive: mae !== null && maeNaive !== null && maeNaive > 0 ? mae / maeNaive : null,
    directionalAccuracy: mean(directionalRight, directional),
    directionalCount: directional,
    coverage: mean(covered, intervals),
    nominalCoverage: mean(sumNominal, nominals),
    meanWidthPct: mean(sumWidth, scored),
  };
}

/** A series is one pair, horizon and model version. */
export interface SeriesKey {
  pair: string;
  horizon: number;
  modelName: string;
  modelVersion: string;
}

export interface SeriesWindowMetrics extends SeriesKey {
  /** Window length, ms of event time. */
  windowMs: number;
  /** The window is (end − windowMs, end] in target time. */
  end: number;
  metrics: WindowMetrics;
}

interface Series {
  key: SeriesKey;
  /** By prediction id, so a re-scored record replaces its earlier sample. */
  samples: Map<string, MetricSample>;
}

/**
 * Samples per series over the longest window, so metrics over every configured window can be read
 * at any time. The clock is event time: per pair, the latest scoredAt seen.
 */
export class RollingMetrics {
  private readonly series = new Map<string, Series>();
  private readonly clocks = new Map<string, number>();
  private readonly longestMs: number;

  constructor(readonly windowsMs: readonly number[]) {
    if (windowsMs.length === 0) throw new RangeError('at least one metric window is needed');
    this.longestMs = Math.max(...windowsMs);
  }

  add(key: SeriesKey, sample: MetricSample): void {
    const id = seriesId(key);
    let series = this.series.get(id);
    if (series === undefined) {
      series = { key, samples: new Map() };
      this.series.set(id, series);
    }
    series.samples.delete(sample.predictionId);
    series.samples.set(sample.predictionId, sample);
    const clock = Math.max(this.clocks.get(key.pair) ?? sample.scoredAt, sample.scoredAt);
    this.clocks.set(key.pair, clock);
    this.prune(series, clock);
  }

  /** Metrics of every series over every window, as of each pair's event-time clock. */
  snapshot(): SeriesWindowMetrics[] {
    const out: SeriesWindowMetrics[] = [];
    for (const [id, series] of this.series) {
      const end = this.clocks.get(series.key.pair);
      if (end === undefined) continue;
      this.prune(series, end);
      if (series.samples.size === 0) {
        this.series.delete(id);
        continue;
      }
      for (const windowMs of this.windowsMs) {
        const from = end - windowMs;
        const inWindow = [...series.samples.values()].filter((s) => s.targetTime > from && s.targetTime <= end);
        out.push({ ...series.key, windowMs, end, metrics: computeWindowMetrics(inWindow) });
      }
    }
    return out;
  }

  /** Metrics of one series over one window, or null when the series has no samples. */
  seriesMetrics(key: SeriesKey, windowMs: number): WindowMetrics | null {
    const series = this.series.get(seriesId(key));
    const end = this.clocks.get(key.pair);
    if (series === undefined || end === undefined) return null;
    const from = end - windowMs;
    return computeWindowMetrics([...series.samples.values()].filter((s) => s.targetTime > from && s.targetTime <= end));
  }

  private prune(series: Series, clock: number): void {
    const horizon = clock - this.longestMs;
    for (const [id, sample] of series.samples) {
      if (sample.targetTime > horizon) break;
      series.samples.delete(id);
    }
  }
}

function seriesId(key: SeriesKey): string {
  return `${key.pair}|${key.horizon}|${key.modelName}|${key.modelVersion}`;
}
