import { Client, errors, type estypes } from '@elastic/elasticsearch';
import { AppError } from './errors.js';

export type { Client as ElasticClient, estypes } from '@elastic/elasticsearch';

/** A client of one node; a failed request is tried `maxRetries` more times (3) before it throws. */
export function createElasticClient(
  url: string,
  options: { maxRetries?: number; requestTimeoutMs?: number } = {},
): Client {
  return new Client({
    node: url,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    maxRetries: options.maxRetries ?? 3,
  });
}

/** The full index (or index pattern) name under a deployment prefix. */
export function indexName(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}-${name}`.toLowerCase();
}

/**
 * The AppError for a failed Elasticsearch call. A transport failure (unreachable, timed out), 429
 * or 5xx is STORE_UNAVAILABLE and retryable; any other answer (a 4xx: a malformed query, a mapping
 * conflict) is a request the store refuses, which no retry fixes. An AppError is kept as it is.
 */
export function elasticError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof errors.ResponseError) {
    const status = error.statusCode ?? 0;
    if (status === 429 || status >= 500) {
      return new AppError('STORE_UNAVAILABLE', `Elasticsearch answered HTTP ${status} to ${what}`, { cause: error });
    }
    return new AppError('INTERNAL', `Elasticsearch refused ${what} (HTTP ${status}): ${refusalReason(error)}`, {
      cause: error,
      retryable: false,
      details: { status },
    });
  }
  return new AppError('STORE_UNAVAILABLE', `Elasticsearch unreachable for ${what}`, { cause: error });
}

function refusalReason(error: errors.ResponseError): string {
  const body: unknown = error.body;
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const { error: detail } = body;
    if (typeof detail === 'object' && detail !== null) {
      const type = 'type' in detail && typeof detail.type === 'string' ? detail.type : '';
      const reason = 'reason' in detail && typeof detail.reason === 'string' ? detail.reason : '';
      return `${type}: ${reason}`;
    }
  }
  return error.message.slice(0, 300);
}

/**
 * Creates or updates a composable index template, so every index matching `pattern` gets the
 * mapping. Services own their mappings and install them at start-up.
 */
export async function ensureIndexTemplate(
  client: Client,
  options: { name: string; pattern: string; mappings: Record<string, unknown>; settings?: Record<string, unknown> },
): Promise<void> {
  try {
    await client.indices.putIndexTemplate({
      name: options.name,
      index_patterns: [options.pattern],
      template: {
        settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '1s', ...options.settings },
        mappings: options.mappings,
      },
    });
  } catch (error) {
    throw elasticError(error, `installing the index template ${options.name}`);
  }
}

export interface BulkDocument {
  index: string;
  id: string;
  document: Record<string, unknown>;
}

export interface BulkResult {
  indexed: number;
  /** Documents Elasticsearch refused, with its reason (mapping conflicts and the like). */
  failed: { id: string; reason: string }[];
}

/**
 * Indexes documents in one bulk request with deterministic ids, so a replay overwrites rather
 * than duplicates. Transport failures, 429 and 5xx throw a retryable error (also for a single
 * document); a refused request throws a non-retryable one; per-document refusals are returned.
 */
export async function bulkIndex(
  client: Client,
  documents: readonly BulkDocument[],
  options: { refresh?: boolean | 'wait_for' } = {},
): Promise<BulkResult> {
  if (documents.length === 0) return { indexed: 0, failed: [] };
  const operations = documents.flatMap((doc) => [{ index: { _index: doc.index, _id: doc.id } }, doc.document]);
  let response;
  try {
    response = await client.bulk({ operations, refresh: options.refresh ?? false });
  } catch (error) {
    throw elasticError(error, 'a bulk request');
  }
  const failed: BulkResult['failed'] = [];
  for (const item of response.items) {
    const result = item.index;
    if (result?.error !== undefined && result.error !== null) {
      if ((result.status ?? 0) >= 500 || result.status === 429) {
        throw new AppError(
          'STORE_UNAVAILABLE',
          `Elasticsearch refused a document: ${result.error.reason ?? result.error.type}`,
        );
      }
      failed.push({ id: String(result._id), reason: result.error.reason ?? result.error.type });
    }
  }
  return { indexed: documents.length - failed.length, failed };
}

export interface SearchAllRequest {
  /** An index, a pattern or a list; a missing index has no documents. */
  index: string | string[];
  query: estypes.QueryDslQueryContainer;
  /** Must end in a field unique per document (an id), so pages neither skip nor repeat. */
  sort: Record<string, estypes.SortOrder>[];
  /** Hits per request; at most 10,000. */
  pageSize?: number;
  /** False to fetch only ids and sort values. */
  source?: boolean;
}

/**
 * Every document matching a query, in `sort` order, fetched a page at a time with `search_after`.
 * Failures throw as `elasticError` says (retryable when the store is unavailable).
 */
export async function* searchAll<T = unknown>(
  client: Client,
  request: SearchAllRequest,
): AsyncGenerator<estypes.SearchHit<T>> {
  const size = request.pageSize ?? 5_000;
  let after: estypes.SortResults | undefined;
  for (;;) {
    let response: estypes.SearchResponse<T>;
    try {
      response = await client.search<T>({
        index: request.index,
        ignore_unavailable: true,
        allow_no_indices: true,
        track_total_hits: false,
        size,
        query: request.query,
        sort: request.sort,
        ...(request.source === false ? { _source: false } : {}),
        ...(after === undefined ? {} : { search_after: after }),
      });
    } catch (error) {
      throw elasticError(error, `a search of ${String(request.index)}`);
    }
    const hits = response.hits.hits;
    yield* hits;
    const last = hits.at(-1);
    if (hits.length < size || last?.sort === undefined) return;
    after = last.sort;
  }
}

/**
 * Deletes the indices matching `pattern` and the index templates whose names match it (tests and
 * sandboxes clean up their prefix with this). Names are resolved first, so it works where deleting
 * by wildcard is forbidden (`action.destructive_requires_name`).
 */
export async function deleteIndices(client: Client, pattern: string): Promise<void> {
  try {
    const resolved = await client.indices.resolveIndex({ name: pattern, expand_wildcards: 'all' }, { ignore: [404] });
    const indices = (resolved.indices ?? []).map((index) => index.name);
    if (indices.length > 0) await client.indices.delete({ index: indices, ignore_unavailable: true });
    const templates = await client.indices.getIndexTemplate({ name: pattern }, { ignore: [404] });
    for (const { name } of templates.index_templates ?? []) {
      await client.indices.deleteIndexTemplate({ name }, { ignore: [404] });
    }
  } catch (error) {
    throw elasticError(error, `deleting ${pattern}`);
  }
}

/**
 * True when Elasticsearch answers with a usable cluster; for readiness checks. Asks the cluster
 * health API rather than `GET /`, which the minimal integ-test distribution does not serve.
 */
export async function elasticReachable(client: Client): Promise<boolean> {
  try {
    const health = await client.cluster.health({ timeout: '2s' });
    return health.status !== 'red';
  } catch (error) {
    if (error instanceof errors.ConnectionError || error instanceof errors.TimeoutError) return false;
    throw error;
  }
}
