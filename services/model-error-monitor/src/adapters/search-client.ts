import { AppError } from '@crypto-predict/core';
import { Client, errors } from '@elastic/elasticsearch';
import { Transport, type TransportOptions } from '@elastic/transport';

/** The Elasticsearch/OpenSearch client this service uses (its own, so it does not depend on core's client version). */
export type SearchClient = Client;

/**
 * A transport that speaks plain JSON and skips the client's "is this Elasticsearch?" check, so the
 * same client works against Elasticsearch and OpenSearch (the local stack serves OpenSearch 3,
 * which refuses the client's `compatible-with=N` media type and sends no x-elastic-product header).
 */
class PlainJsonTransport extends Transport {
  constructor(options: TransportOptions) {
    // Without a productCheck the transport checks nothing; without vendored headers it sends application/json.
    const { productCheck: _productCheck, vendoredHeaders: _vendoredHeaders, ...rest } = options;
    super(rest);
  }
}

/** A client for Elasticsearch or OpenSearch (should move to core's createElasticClient). */
export function createSearchClient(url: string): SearchClient {
  return new Client({ node: url, requestTimeout: 30_000, maxRetries: 3, Transport: PlainJsonTransport });
}

/** True when the cluster answers and is not red; for readiness checks. */
export async function searchReachable(client: SearchClient): Promise<boolean> {
  try {
    const health = await client.cluster.health({ timeout: '2s' });
    return health.status !== 'red';
  } catch (error) {
    if (error instanceof errors.ConnectionError || error instanceof errors.TimeoutError) return false;
    throw error;
  }
}

/** Creates or updates a composable index template (core's ensureIndexTemplate, on this client). */
export async function ensureTemplate(
  client: SearchClient,
  options: { name: string; pattern: string; mappings: Record<string, unknown> },
): Promise<void> {
  try {
    await client.indices.putIndexTemplate({
      name: options.name,
      index_patterns: [options.pattern],
      template: {
        settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '1s' },
        mappings: options.mappings,
      },
    });
  } catch (error) {
    throw new AppError('STORE_UNAVAILABLE', `could not install index template ${options.name}`, { cause: error });
  }
}
