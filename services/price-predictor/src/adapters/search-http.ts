import { AppError } from '@crypto-predict/core';

/*
 * A small JSON-over-HTTP client for the search store, speaking the REST subset that Elasticsearch
 * and OpenSearch share (_search, _bulk, _index_template, _refresh). The local stack runs OpenSearch
 * (docs/adr/0001), which the @elastic/elasticsearch 9 client refuses to talk to (product check,
 * compatible-with=9 media type); this works with both. Candidate for packages/core.
 */

export interface BulkDocument {
  index: string;
  id: string;
  document: unknown;
}

export interface BulkResult {
  indexed: number;
  /** Documents the store refused, with its reason (mapping conflicts and the like). */
  failed: { id: string; reason: string }[];
}

interface BulkItem {
  index?: { _id?: string; status?: number; error?: { type?: string; reason?: string } };
}

const REQUEST_TIMEOUT_MS = 30_000;

export class SearchHttp {
  private readonly base: string;

  constructor(url: string) {
    this.base = url.replace(/\/+$/, '');
  }

  /** One request; a transport failure, 429 or 5xx is STORE_UNAVAILABLE (retryable), another 4xx is not retryable. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    query: Record<string, string> = {},
  ): Promise<{ status: number; json: unknown }> {
    const search = new URLSearchParams(query).toString();
    const url = `${this.base}${path}${search === '' ? '' : `?${search}`}`;
    const ndjson = typeof body === 'string';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' },
        body: body === undefined ? null : ndjson ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new AppError('STORE_UNAVAILABLE', `search store at ${this.base} unreachable (${method} ${path})`, {
        cause: error,
      });
    }
    const text = await response.text();
    let json: unknown = null;
    if (text !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
    }
    if (response.status === 429 || response.status >= 500) {
      throw new AppError(
        'STORE_UNAVAILABLE',
        `search store answered HTTP ${response.status} to ${method} ${path}: ${text.slice(0, 300)}`,
      );
    }
    return { status: response.status, json };
  }

  /** Like `request`, but any answer other than 2xx is an error naming the store's reason. */
  async ok(method: string, path: string, body?: unknown, query: Record<string, string> = {}): Promise<unknown> {
    const { status, json } = await this.request(method, path, body, query);
    if (status >= 300) {
      throw new AppError('INTERNAL', `search store refused ${method} ${path} (HTTP ${status}): ${reason(json)}`, {
        retryable: false,
        details: { status },
      });
    }
    return json;
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.request('GET', '/')).status === 200;
    } catch {
      return false;
    }
  }

  /** Creates or replaces a composable index template, so every index matching `pattern` gets the mapping. */
  async putIndexTemplate(options: {
    name: string;
    pattern: string;
    mappings: Record<string, unknown>;
    settings?: Record<string, unknown>;
  }): Promise<void> {
    await this.ok('PUT', `/_index_template/${encodeURIComponent(options.name)}`, {
      index_patterns: [options.pattern],
      template: {
        settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '1s', ...options.settings },
        mappings: options.mappings,
      },
    });
  }

  /**
   * Indexes documents in one bulk request with deterministic ids, so a replay overwrites rather
   * than duplicates. Transport failures and 429/5xx items throw (retryable); other refusals are returned.
   */
  async bulkIndex(
    documents: readonly BulkDocument[],
    options: { refresh?: boolean | 'wait_for' } = {},
  ): Promise<BulkResult> {
    if (documents.length === 0) return { indexed: 0, failed: [] };
    let body = '';
    for (const doc of documents)
      body += `${JSON.stringify({ index: { _index: doc.index, _id: doc.id } })}\n${JSON.stringify(doc.document)}\n`;
    const refresh = options.refresh === undefined || options.refresh === false ? 'false' : String(options.refresh);
    const json = (await this.ok('POST', '/_bulk', body, { refresh })) as { items?: BulkItem[] };
    const failed: BulkResult['failed'] = [];
    for (const item of json.items ?? []) {
      const result = item.index;
      if (result?.error === undefined) continue;
      const why = result.error.reason ?? result.error.type ?? 'unknown';
      if ((result.status ?? 0) >= 500 || result.status === 429)
        throw new AppError('STORE_UNAVAILABLE', `search store refused a document: ${why}`);
      failed.push({ id: String(result._id), reason: why });
    }
    return { indexed: documents.length - failed.length, failed };
  }

  /** Runs a search; a missing index answers no hits (ignore_unavailable). */
  async search(index: string, body: Record<string, unknown>): Promise<unknown> {
    return this.ok('POST', `/${encodeURIComponent(index)}/_search`, body, {
      ignore_unavailable: 'true',
      allow_no_indices: 'true',
    });
  }

  async refresh(index: string): Promise<void> {
    await this.ok('POST', `/${encodeURIComponent(index)}/_refresh`, undefined, {
      ignore_unavailable: 'true',
      allow_no_indices: 'true',
    });
  }

  /** Deletes indices by name or pattern, and a template (tests clean up with this). */
  async deleteIndex(pattern: string): Promise<void> {
    await this.request('DELETE', `/${encodeURIComponent(pattern)}`, undefined, {
      ignore_unavailable: 'true',
      allow_no_indices: 'true',
      expand_wildcards: 'all',
    });
  }

  async deleteIndexTemplate(name: string): Promise<void> {
    await this.request('DELETE', `/_index_template/${encodeURIComponent(name)}`);
  }
}

function reason(json: unknown): string {
  if (typeof json === 'string') return json.slice(0, 300);
  if (typeof json === 'object' && json !== null && 'error' in json) {
    const { error } = json;
    if (typeof error === 'object' && error !== null) {
      const type = 'type' in error && typeof error.type === 'string' ? error.type : '';
      const why = 'reason' in error && typeof error.reason === 'string' ? error.reason : '';
      return `${type}: ${why}`;
    }
  }
  return JSON.stringify(json).slice(0, 300);
}
