import { indexName, PredictionError } from '@crypto-predict/core';
import type { estypes } from '@crypto-predict/core';
import type { WindowMetrics } from '../domain/rolling-metrics.js';
import type { ScorablePrediction } from '../domain/scorable-prediction.js';

/** The error index of a deployment (`prediction-errors`, or `<prefix>-prediction-errors`). */
export function errorIndex(prefix: string): string {
  return indexName(prefix, 'prediction-errors');
}

const keyword = { type: 'keyword' } as const;
const double = { type: 'double' } as const;
const date = { type: 'date', format: 'epoch_millis' } as const;

/**
 * Mapping of an error document: the PredictionError record plus fields derived for aggregations,
 * so an API can compute every rolling metric with plain ES aggregations (see README):
 *   MAE = avg(absError), RMSE = sqrt(avg(squaredError)), MAPE = avg(absPctError),
 *   naive: avg(naiveAbsError), sqrt(avg(naiveSquaredError)), avg(naiveAbsPctError),
 *   directional accuracy = avg(directionHit), coverage = avg(intervalHit),
 *   mean width = avg(intervalWidthPct), nominal = avg(nominalCoverage).
 * Filter on status: scored for the error metrics; actual-missing counts the gaps.
 */
export const ERROR_INDEX_MAPPINGS = {
  dynamic: 'strict',
  properties: {
    v: { type: 'integer' },
    predictionId: keyword,
    pair: keyword,
    timeframe: keyword,
    horizon: { type: 'long' },
    featureTime: date,
    targetTime: date,
    scoredAt: date,
    model: { properties: { name: keyword, version: keyword, servedBy: keyword } },
    status: keyword,
    lastClose: double,
    predictedPrice: double,
    lower: double,
    upper: double,
    actualPrice: double,
    error: double,
    absError: double,
    squaredError: double,
    pctError: double,
    directionCorrect: { type: 'boolean' },
    inInterval: { type: 'boolean' },
    naiveError: double,
    naiveAbsError: double,
    // Derived, for aggregations.
    absPctError: double,
    naiveSquaredError: double,
    naiveAbsPctError: double,
    /** 1 when the direction was right, 0 when wrong, absent when either move was zero. */
    directionHit: { type: 'byte' },
    /** 1 when the actual was inside the interval, 0 when not, absent when not scored. */
    intervalHit: { type: 'byte' },
    intervalWidthPct: double,
    nominalCoverage: double,
  },
} as const;

/** The document stored for a record (its id is the prediction id). */
export function errorDocument(record: PredictionError, prediction: ScorablePrediction): Record<string, unknown> {
  const actual = record.actualPrice;
  return {
    ...record,
    timeframe: prediction.timeframe,
    absPctError: record.absError !== null && actual !== null ? (record.absError / actual) * 100 : null,
    naiveSquaredError: record.naiveError === null ? null : record.naiveError * record.naiveError,
    naiveAbsPctError: record.naiveAbsError !== null && actual !== null ? (record.naiveAbsError / actual) * 100 : null,
    directionHit: record.directionCorrect === null ? null : record.directionCorrect ? 1 : 0,
    intervalHit: record.inInterval === null ? null : record.inInterval ? 1 : 0,
    intervalWidthPct: ((record.upper - record.lower) / record.lastClose) * 100,
    nominalCoverage: prediction.coverage,
  };
}

/** Reads a stored error document back into its record and the terms of its prediction. */
export function fromErrorDocument(source: unknown): { record: PredictionError; prediction: ScorablePrediction } | null {
  const parsed = PredictionError.safeParse(source);
  if (!parsed.success || typeof source !== 'object' || source === null) return null;
  const extra = source as { timeframe?: unknown; nominalCoverage?: unknown };
  const record = parsed.data;
  const timeframe = typeof extra.timeframe === 'string' ? extra.timeframe : '1m';
  const coverage = typeof extra.nominalCoverage === 'number' ? extra.nominalCoverage : 0;
  return {
    record,
    prediction: {
      id: record.predictionId,
      pair: record.pair,
      timeframe,
      horizon: record.horizon,
      featureTime: record.featureTime,
      targetTime: record.targetTime,
      model: record.model,
      lastClose: record.lastClose,
      predictedPrice: record.predictedPrice,
      lower: record.lower,
      upper: record.upper,
      coverage,
    },
  };
}

/**
 * The aggregations that compute WindowMetrics over the error documents a query selects (for
 * example one pair, horizon and model version, with targetTime in a window). Nest them under terms
 * aggregations to get many series at once; read each bucket back with windowMetricsFromAggregations.
 */
export function windowMetricsAggregations(): Record<string, estypes.AggregationsAggregationContainer> {
  const avg = (field: string) => ({ avg: { field } });
  return {
    scored: {
      filter: { term: { status: 'scored' } },
      aggs: {
        mae: avg('absError'),
        mse: avg('squaredError'),
        mape: avg('absPctError'),
        maeNaive: avg('naiveAbsError'),
        mseNaive: avg('naiveSquaredError'),
        mapeNaive: avg('naiveAbsPctError'),
        directionalAccuracy: avg('directionHit'),
        directionalCount: { value_count: { field: 'directionHit' } },
        coverage: avg('intervalHit'),
        nominalCoverage: avg('nominalCoverage'),
        meanWidthPct: avg('intervalWidthPct'),
      },
    },
    actualMissing: { filter: { term: { status: 'actual-missing' } } },
  };
}

interface ValueAgg {
  value?: number | null;
}

/** Reads the result of windowMetricsAggregations (one bucket's `aggregations`) as WindowMetrics. */
export function windowMetricsFromAggregations(aggregations: unknown): WindowMetrics {
  const root = (aggregations ?? {}) as {
    scored?: { doc_count?: number } & Record<string, ValueAgg | number | undefined>;
    actualMissing?: { doc_count?: number };
  };
  const scoredBucket = root.scored ?? {};
  const value = (name: string): number | null => {
    const agg = scoredBucket[name];
    return typeof agg === 'object' && typeof agg.value === 'number' ? agg.value : null;
  };
  const scored = scoredBucket.doc_count ?? 0;
  const actualMissing = root.actualMissing?.doc_count ?? 0;
  const mae = value('mae');
  const maeNaive = value('maeNaive');
  const mse = value('mse');
  const mseNaive = value('mseNaive');
  return {
    count: scored + actualMissing,
    scored,
    actualMissing,
    mae,
    rmse: mse === null ? null : Math.sqrt(mse),
    mape: value('mape'),
    maeNaive,
    rmseNaive: mseNaive === null ? null : Math.sqrt(mseNaive),
    mapeNaive: value('mapeNaive'),
    maeRatioVsNaive: mae !== null && maeNaive !== null && maeNaive > 0 ? mae / maeNaive : null,
    directionalAccuracy: value('directionalAccuracy'),
    directionalCount: value('directionalCount') ?? 0,
    coverage: value('coverage'),
    nominalCoverage: value('nominalCoverage'),
    meanWidthPct: value('meanWidthPct'),
  };
}
