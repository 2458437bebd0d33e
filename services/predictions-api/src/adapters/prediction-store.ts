import { elasticError, elasticReachable, Prediction, type ElasticClient, type estypes } from '@crypto-predict/core';
import { errorIndex } from '@crypto-predict/model-error-monitor/error-index';
import { predictionsIndex } from '@crypto-predict/price-predictor/prediction-index';
import { z } from 'zod';
import type { Cursor } from '../domain/cursor.js';
import type { ErrorSums } from '../domain/performance.js';

export interface HistoryRequest {
  pair: string;
  horizon?: number | undefined;
  from?: number | undefined;
  to?: number | undefined;
  limit: number;
  order: 'asc' | 'desc';
  cursor?: Cursor | undefined;
}

export interface HistoryPage {
  predictions: Prediction[];
  /** Where the next page starts; null on the last page. */
  next: Cursor | null;
}

export interface PerformanceRequest {
  pair: string;
  horizon?: number | undefined;
  /** Predictions whose target time falls in [from, to]. */
  from: number;
  to: number;
}

/** What the API reads from the store of predictions and their scored errors. */
export interface PredictionStore {
  history(request: HistoryRequest): Promise<HistoryPage>;
  /** The newest prediction of every pair and horizon with a feature time at or after `since`. */
  latest(since: number): Promise<Prediction[]>;
  errorSums(request: PerformanceRequest): Promise<ErrorSums[]>;
  /** The newest target time among a pair's scored predictions (event time), if any. */
  newestScoredTarget(pair: string, horizon: number | undefined): Promise<number | undefined>;
  ping(): Promise<boolean>;
}

/** A history hit, with its (featureTime, id) sort values. */
const Hit = z.object({ _source: z.unknown(), sort: z.tuple([z.number(), z.string()]).optional() });
const TopHits = z.object({ top: z.object({ hits: z.object({ hits: z.array(z.object({ _source: z.unknown() })) }) }) });
const LatestAggs = z.object({
  pairs: z.object({ buckets: z.array(z.object({ horizons: z.object({ buckets: z.array(TopHits) }) })) }),
});
const Stats = z.object({ count: z.number(), sum: z.number().nullable(), sum_of_squares: z.number().nullable() });
const Count = z.object({ doc_count: z.number() });
const NewestAgg = z.object({ newest: z.object({ value: z.number().nullable() }) });
const ErrorAggs = z.object({
  horizons: z.object({
    buckets: z.array(
      z.object({
        key: z.coerce.number(),
        abs: Stats,
        naive: Stats,
        directionKnown: Count,
        directionCorrect: Count,
        intervalKnown: Count,
        inInterval: Count,
      }),
    ),
  }),
});

/**
 * Predictions and prediction errors in Elasticsearch, in the indices the price-predictor and the
 * model-error-monitor own (their names come from those services). Every query is built from
 * validated values as term and range clauses; nothing from a request is ever parsed as query syntax.
 * A missing index answers nothing; an unreachable or overloaded store is STORE_UNAVAILABLE (503).
 */
export class ElasticPredictionStore implements PredictionStore {
  private readonly predictions: string;
  private readonly errors: string;

  constructor(
    private readonly client: ElasticClient,
    prefix: string,
  ) {
    this.predictions = predictionsIndex(prefix);
    this.errors = errorIndex(prefix);
  }

  async history(request: HistoryRequest): Promise<HistoryPage> {
    const filter: Record<string, unknown>[] = [{ term: { pair: request.pair } }];
    if (request.horizon !== undefined) filter.push({ term: { horizon: request.horizon } });
    if (request.from !== undefined || request.to !== undefined) {
      filter.push({
        range: {
          featureTime: {
            ...(request.from === undefined ? {} : { gte: request.from }),
            ...(request.to === undefined ? {} : { lte: request.to }),
          },
        },
      });
    }
    const response = await this.search('reading prediction history', this.predictions, {
      track_total_hits: false,
      size: request.limit + 1,
      query: { bool: { filter } },
      sort: [{ featureTime: { order: request.order } }, { id: { order: request.order } }],
      ...(request.cursor === undefined ? {} : { search_after: [request.cursor.featureTime, request.cursor.id] }),
    });
    const hits = z.array(Hit).parse(response.hits.hits);
    const page = hits.slice(0, request.limit);
    const lastSort = page.at(-1)?.sort;
    return {
      predictions: parseStored(page.map((hit) => hit._source)),
      next:
        hits.length > request.limit && lastSort !== undefined ? { featureTime: lastSort[0], id: lastSort[1] } : null,
    };
  }

  async latest(since: number): Promise<Prediction[]> {
    const response = await this.search('reading the latest predictions', this.predictions, {
      size: 0,
      query: { range: { featureTime: { gte: since } } },
      aggs: {
        pairs: {
          terms: { field: 'pair', size: 1000 },
          aggs: {
            horizons: {
              terms: { field: 'horizon', size: 100 },
              aggs: {
                top: {
                  top_hits: { size: 1, sort: [{ featureTime: { order: 'desc' } }, { createdAt: { order: 'desc' } }] },
                },
              },
            },
          },
        },
      },
    });
    if (response.aggregations === undefined) return [];
    const aggs = LatestAggs.parse(response.aggregations);
    return parseStored(
      aggs.pairs.buckets.flatMap((pair) =>
        pair.horizons.buckets.flatMap((horizon) => horizon.top.hits.hits.map((hit) => hit._source)),
      ),
    );
  }

  async errorSums(request: PerformanceRequest): Promise<ErrorSums[]> {
    const filter: Record<string, unknown>[] = [
      { term: { pair: request.pair } },
      { term: { status: 'scored' } },
      { range: { targetTime: { gte: request.from, lte: request.to } } },
    ];
    if (request.horizon !== undefined) filter.push({ term: { horizon: request.horizon } });
    const response = await this.search('aggregating prediction errors', this.errors, {
      size: 0,
      query: { bool: { filter } },
      aggs: {
        horizons: {
          terms: { field: 'horizon', size: 100, order: { _key: 'asc' } },
          aggs: {
            abs: { extended_stats: { field: 'absError' } },
            naive: { extended_stats: { field: 'naiveAbsError' } },
            directionKnown: { filter: { exists: { field: 'directionCorrect' } } },
            directionCorrect: { filter: { term: { directionCorrect: true } } },
            intervalKnown: { filter: { exists: { field: 'inInterval' } } },
            inInterval: { filter: { term: { inInterval: true } } },
          },
        },
      },
    });
    if (response.aggregations === undefined) return [];
    return ErrorAggs.parse(response.aggregations).horizons.buckets.map((bucket) => ({
      horizon: bucket.key,
      count: bucket.abs.count,
      sumAbsError: bucket.abs.sum ?? 0,
      sumSquaredError: bucket.abs.sum_of_squares ?? 0,
      directionKnown: bucket.directionKnown.doc_count,
      directionCorrect: bucket.directionCorrect.doc_count,
      intervalKnown: bucket.intervalKnown.doc_count,
      inInterval: bucket.inInterval.doc_count,
      naiveCount: bucket.naive.count,
      sumNaiveAbsError: bucket.naive.sum ?? 0,
      sumNaiveSquaredError: bucket.naive.sum_of_squares ?? 0,
    }));
  }

  async newestScoredTarget(pair: string, horizon: number | undefined): Promise<number | undefined> {
    const filter: Record<string, unknown>[] = [{ term: { pair } }, { term: { status: 'scored' } }];
    if (horizon !== undefined) filter.push({ term: { horizon } });
    const response = await this.search('finding the newest scored prediction', this.errors, {
      size: 0,
      query: { bool: { filter } },
      aggs: { newest: { max: { field: 'targetTime' } } },
    });
    const newest = NewestAgg.safeParse(response.aggregations);
    return newest.success ? (newest.data.newest.value ?? undefined) : undefined;
  }

  async ping(): Promise<boolean> {
    return elasticReachable(this.client);
  }

  /** One search; a missing index has no hits. Failures are retryable only when the store is unavailable. */
  private async search(
    what: string,
    index: string,
    request: Omit<estypes.SearchRequest, 'index'>,
  ): Promise<estypes.SearchResponse<unknown>> {
    try {
      return await this.client.search({ index, ignore_unavailable: true, allow_no_indices: true, ...request });
    } catch (error) {
      throw elasticError(error, what);
    }
  }
}

/**
 * Stored documents are parsed like any message (the store is an edge too); one that is not a
 * Prediction is left out of the answer rather than failing it.
 */
function parseStored(sources: unknown[]): Prediction[] {
  const predictions: Prediction[] = [];
  for (const source of sources) {
    const parsed = Prediction.safeParse(source);
    if (parsed.success) predictions.push(parsed.data);
  }
  return predictions;
}
