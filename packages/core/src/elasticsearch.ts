import { Client, errors } from '@elastic/elasticsearch';
import { AppError } from './errors.js';

export type { Client as ElasticClient, estypes } from '@elastic/elasticsearch';

export function createElasticClient(url: string): Client {
  return new Client({ node: url, requestTimeout: 30_000, maxRetries: 3 });
}

/** The full index (or index pattern) name under a deployment prefix. */
export function indexName(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}-${name}`.toLowerCase();
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
    throw new AppError('STORE_UNAVAILABLE', `could not install index template ${options.name}`, { cause: error });
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
 * than duplicates. Transport failures throw a retryable error; per-document refusals are returned.
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
    throw new AppError('STORE_UNAVAILABLE', 'Elasticsearch bulk request failed', { cause: error });
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
