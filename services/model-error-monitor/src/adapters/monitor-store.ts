import {
  AppError,
  ensureIndexTemplate,
  indexName,
  searchAll,
  type ElasticClient,
  type estypes,
  type PredictionError,
} from '@crypto-predict/core';
import type { ScorablePrediction } from '../domain/scorable-prediction.js';
import { ERROR_INDEX_MAPPINGS, errorDocument, errorIndex, fromErrorDocument } from './error-index-mapping.js';

const keyword = { type: 'keyword' } as const;
const double = { type: 'double' } as const;
const date = { type: 'date', format: 'epoch_millis' } as const;

/** Predictions waiting for their actual, so a restart does not lose them (id = prediction id). */
const PENDING_MAPPINGS = {
  dynamic: 'strict',
  properties: {
    id: keyword,
    pair: keyword,
    timeframe: keyword,
    horizon: { type: 'long' },
    featureTime: date,
    targetTime: date,
    model: { properties: { name: keyword, version: keyword, servedBy: keyword } },
    lastClose: double,
    predictedPrice: double,
    lower: double,
    upper: double,
    coverage: double,
  },
} as const;

/** Recent 1m closes per pair, so a restart still scores predictions that arrive after their candle. */
const ACTUALS_MAPPINGS = {
  dynamic: 'strict',
  properties: { id: keyword, pair: keyword, closeTime: date, close: double, revision: { type: 'integer' } },
} as const;

export interface ActualDoc {
  pair: string;
  closeTime: number;
  close: number;
  revision: number;
}

export interface ErrorWrite {
  record: PredictionError;
  prediction: ScorablePrediction;
  /** False: store only if no record of this prediction exists (never overwrite a scored one). */
  overwrite: boolean;
}

export interface StoreBatch {
  errors: ErrorWrite[];
  pendingUpserts: ScorablePrediction[];
  pendingDeletes: string[];
  actuals: ActualDoc[];
}

export interface StoreResult {
  /** Create-only records that were not written because a record already existed. */
  alreadyStored: Set<string>;
  /** Documents the store refused for good (mapping conflicts and the like), with the reason. */
  refused: { index: string; id: string; reason: string }[];
}

export interface StoredError {
  record: PredictionError;
  prediction: ScorablePrediction;
}

/** Closes deleted per bulk request when pruning (a page of the search that finds them). */
const PRUNE_PAGE_SIZE = 1_000;

/**
 * The monitor's Elasticsearch side: the error index (its output, read by the API) and two small
 * state indices that make it crash-safe: pending predictions and recent 1m closes.
 */
export class MonitorStore {
  readonly errors: string;
  readonly pending: string;
  readonly actuals: string;

  constructor(
    private readonly client: ElasticClient,
    prefix: string,
    private readonly options: { refresh?: boolean | 'wait_for' } = {},
  ) {
    this.errors = errorIndex(prefix);
    this.pending = indexName(prefix, 'model-error-monitor-pending');
    this.actuals = indexName(prefix, 'model-error-monitor-actuals');
  }

  /** Installs the templates and creates the indices, so mappings hold from the first document. */
  async ensureIndices(): Promise<void> {
    for (const [index, mappings] of [
      [this.errors, ERROR_INDEX_MAPPINGS],
      [this.pending, PENDING_MAPPINGS],
      [this.actuals, ACTUALS_MAPPINGS],
    ] as const) {
      await ensureIndexTemplate(this.client, { name: `${index}-template`, pattern: index, mappings });
      await this.createIndex(index, mappings);
    }
  }

  /** Writes one batch in one bulk request. Every operation is idempotent, so a retry is safe. */
  async write(batch: StoreBatch): Promise<StoreResult> {
    const operations: unknown[] = [];
    for (const { record, prediction, overwrite } of batch.errors) {
      operations.push(
        overwrite
          ? { index: { _index: this.errors, _id: record.predictionId } }
          : { create: { _index: this.errors, _id: record.predictionId } },
        errorDocument(record, prediction),
      );
    }
    for (const prediction of batch.pendingUpserts) {
      operations.push({ index: { _index: this.pending, _id: prediction.id } }, prediction);
    }
    for (const id of batch.pendingDeletes) operations.push({ delete: { _index: this.pending, _id: id } });
    for (const actual of batch.actuals) {
      const id = actualId(actual.pair, actual.closeTime);
      operations.push({ index: { _index: this.actuals, _id: id } }, { id, ...actual });
    }
    return this.bulk(operations);
  }

  /**
   * One bulk request. A failed request, or an item refused with 429 or 5xx, throws a retryable
   * error (the consumer retries the batch rather than dead-letter it); a deleted document that was
   * already gone and a create-only record that already exists are not failures; anything else
   * refused is returned.
   */
  private async bulk(operations: unknown[]): Promise<StoreResult> {
    const result: StoreResult = { alreadyStored: new Set(), refused: [] };
    if (operations.length === 0) return result;
    let response;
    try {
      response = await this.client.bulk({ operations, refresh: this.options.refresh ?? false });
    } catch (error) {
      throw new AppError('STORE_UNAVAILABLE', 'Elasticsearch bulk request failed', { cause: error });
    }
    for (const item of response.items) {
      const [operation, outcome] = Object.entries(item)[0] ?? [];
      if (operation === undefined || outcome === undefined) continue;
      const status = outcome.status ?? 0;
      const id = String(outcome._id);
      if (operation === 'delete' && status === 404) continue;
      if (operation === 'create' && status === 409) {
        result.alreadyStored.add(id);
        continue;
      }
      if (outcome.error === undefined || outcome.error === null) continue;
      const reason = outcome.error.reason ?? outcome.error.type;
      if (status >= 500 || status === 429) {
        throw new AppError('STORE_UNAVAILABLE', `Elasticsearch could not write ${outcome._index}/${id}: ${reason}`);
      }
      result.refused.push({ index: String(outcome._index), id, reason });
    }
    return result;
  }

  /** Per pair, the closes of the last `retentionMs` behind the pair's newest stored close. */
  async loadActuals(pairs: readonly string[] | null, retentionMs: number): Promise<ActualDoc[]> {
    const newest = await this.search({
      index: this.actuals,
      size: 0,
      query: pairFilter(pairs),
      aggs: { pairs: { terms: { field: 'pair', size: 10_000 }, aggs: { newest: { max: { field: 'closeTime' } } } } },
    });
    const buckets =
      (newest.aggregations?.pairs as { buckets?: { key: string; newest: { value: number | null } }[] } | undefined)
        ?.buckets ?? [];
    const out: ActualDoc[] = [];
    for (const bucket of buckets) {
      if (bucket.newest.value === null) continue;
      const from = bucket.newest.value - retentionMs;
      for await (const source of this.scan(
        this.actuals,
        { bool: { filter: [{ term: { pair: bucket.key } }, { range: { closeTime: { gte: from } } }] } },
        [{ closeTime: 'asc' }, { id: 'asc' }],
      )) {
        const doc = source as Partial<ActualDoc> | undefined;
        if (doc === undefined) continue;
        if (typeof doc.pair === 'string' && typeof doc.closeTime === 'number' && typeof doc.close === 'number') {
          out.push({ pair: doc.pair, closeTime: doc.closeTime, close: doc.close, revision: doc.revision ?? 0 });
        }
      }
    }
    return out;
  }

  async loadPending(pairs: readonly string[] | null): Promise<ScorablePrediction[]> {
    const out: ScorablePrediction[] = [];
    for await (const source of this.scan(this.pending, pairFilter(pairs), [{ targetTime: 'asc' }, { id: 'asc' }])) {
      out.push(source as ScorablePrediction);
    }
    return out;
  }

  /** Error records of a pair with targetTime ≥ `since`, oldest first. */
  async loadErrors(pair: string, since: number): Promise<StoredError[]> {
    const out: StoredError[] = [];
    const query = { bool: { filter: [{ term: { pair } }, { range: { targetTime: { gte: since } } }] } };
    for await (const source of this.scan(this.errors, query, [{ targetTime: 'asc' }, { predictionId: 'asc' }])) {
      const stored = fromErrorDocument(source);
      if (stored !== null) out.push(stored);
    }
    return out;
  }

  /**
   * Forgets a pair's closes older than `before` (the error index is history and is kept); resolves
   * how many were deleted. Elasticsearch here has no delete-by-query, so the ids are searched page
   * by page (search_after on closeTime, id) and each page is deleted in one bulk request. A failure
   * midway leaves the rest for the next prune: deleting is idempotent.
   */
  async pruneActuals(pair: string, before: number): Promise<number> {
    const query = { bool: { filter: [{ term: { pair } }, { range: { closeTime: { lt: before } } }] } };
    const sort: Record<string, estypes.SortOrder>[] = [{ closeTime: 'asc' }, { id: 'asc' }];
    let page: string[] = [];
    let deleted = 0;
    const flush = async (): Promise<void> => {
      const result = await this.bulk(page.map((id) => ({ delete: { _index: this.actuals, _id: id } })));
      const [refused] = result.refused;
      if (refused !== undefined) {
        throw new AppError('INTERNAL', `Elasticsearch refused to prune ${refused.id}: ${refused.reason}`, {
          retryable: false,
        });
      }
      deleted += page.length;
      page = [];
    };
    const hits = searchAll(this.client, {
      index: this.actuals,
      query,
      sort,
      source: false,
      pageSize: PRUNE_PAGE_SIZE,
    });
    for await (const hit of hits) {
      if (hit._id === undefined) continue;
      page.push(hit._id);
      if (page.length >= PRUNE_PAGE_SIZE) await flush();
    }
    if (page.length > 0) await flush();
    return deleted;
  }

  async refresh(): Promise<void> {
    await this.client.indices.refresh({ index: [this.errors, this.pending, this.actuals] });
  }

  private async createIndex(index: string, mappings: Record<string, unknown>): Promise<void> {
    try {
      if (await this.client.indices.exists({ index })) {
        // New fields are added to an index made by an older version; a conflicting change throws.
        await this.client.indices.putMapping({ index, ...mappings });
        return;
      }
      await this.client.indices.create({ index });
    } catch (error) {
      if (error instanceof Error && /resource_already_exists_exception/.test(error.message)) return;
      throw new AppError('STORE_UNAVAILABLE', `could not create index ${index}`, { cause: error });
    }
  }

  private async search(request: estypes.SearchRequest): Promise<estypes.SearchResponse> {
    try {
      return await this.client.search(request);
    } catch (error) {
      throw new AppError('STORE_UNAVAILABLE', `Elasticsearch search of ${String(request.index)} failed`, {
        cause: error,
      });
    }
  }

  /** The sources of every document matching a query, in `sort` order. */
  private async *scan(
    index: string,
    query: estypes.QueryDslQueryContainer,
    sort: Record<string, estypes.SortOrder>[],
  ): AsyncGenerator<unknown> {
    for await (const hit of searchAll(this.client, { index, query, sort })) yield hit._source;
  }
}

function actualId(pair: string, closeTime: number): string {
  return `${pair.replace('/', '-')}:${closeTime}`;
}

function pairFilter(pairs: readonly string[] | null): Record<string, unknown> {
  return pairs === null ? { match_all: {} } : { terms: { pair: [...pairs] } };
}
