import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describeError, type Logger } from '@crypto-predict/core';
import { coinOf, type MarketHistory } from '../domain/market-history.js';
import { parseQuery, querySchemas } from '../domain/query.js';
import { buildSnapshot, pairSummaries, type SnapshotOptions } from '../domain/snapshot.js';
import type { DashboardMetrics } from './dashboard-metrics.js';
import type { Asset, StaticAssets } from './static-assets.js';

/** What the page needs to know before its first snapshot. */
export interface PageConfig {
  defaultPair: string | null;
  timeframe: string;
  horizons: readonly number[];
  pollMs: number;
  historyMs: number;
  /** Default trailing window of the metrics, and the choices the page offers. */
  windowMs: number;
  windowChoices: readonly number[];
}

export interface DashboardServerOptions {
  host: string;
  port: number;
  history: MarketHistory;
  assets: StaticAssets;
  page: PageConfig;
  snapshot: Omit<SnapshotOptions, 'windowMs'>;
  metrics: DashboardMetrics;
  log: Logger;
}

export interface DashboardServer {
  readonly port: number;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  // Everything the page loads is served here; lightweight-charts sets element styles from script.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
} as const;

const MAX_CACHED_SNAPSHOTS = 32;

interface CachedSnapshot {
  etag: string;
  json: Buffer;
  gzip: Buffer | null;
}

/**
 * The page and its JSON over `node:http`: a fixed route table, every query parameter validated
 * (400 with the parameter and the reason), snapshots serialized once per change of the pair's data
 * and answered with 304 while the page's copy is current.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const { history, assets, metrics, log } = options;
  const schemas = querySchemas(options.page.historyMs);
  const cache = new Map<string, CachedSnapshot>();

  const snapshotFor = (pair: string, windowMs: number): CachedSnapshot | null => {
    const held = history.pair(pair);
    if (held === undefined) return null;
    const etag = `W/"${held.revision}.${history.coin(coinOf(pair))?.revision ?? 0}.${history.globalRevision}.${windowMs}"`;
    const key = `${pair}|${windowMs}`;
    const cached = cache.get(key);
    if (cached !== undefined && cached.etag === etag) return cached;
    const snapshot = buildSnapshot(history, pair, { ...options.snapshot, windowMs });
    if (snapshot === null) return null;
    const fresh: CachedSnapshot = { etag, json: Buffer.from(JSON.stringify(snapshot)), gzip: null };
    if (cache.size >= MAX_CACHED_SNAPSHOTS && !cache.has(key)) cache.clear();
    cache.set(key, fresh);
    return fresh;
  };

  const handle = (request: IncomingMessage, response: ServerResponse): string => {
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendJson(response, 405, { error: 'method_not_allowed', message: 'only GET and HEAD' }, { allow: 'GET, HEAD' });
      return 'other';
    }

    if (path === '/' || path === '/index.html') {
      const query = parseQuery(schemas.page, url.search);
      if (!query.ok) {
        send(response, 400, 'text/plain; charset=utf-8', Buffer.from(`400 Bad Request: ${query.message}\n`));
        return 'page';
      }
      sendAsset(request, response, assets.get('index.html'));
      return 'page';
    }

    if (path.startsWith('/assets/')) {
      const query = parseQuery(schemas.none, url.search);
      if (!query.ok) {
        badRequest(response, query.parameter, query.message);
        return 'asset';
      }
      sendAsset(request, response, assets.get(path.slice('/assets/'.length)));
      return 'asset';
    }

    if (path === '/api/config') {
      const query = parseQuery(schemas.none, url.search);
      if (!query.ok) badRequest(response, query.parameter, query.message);
      else
        sendJson(response, 200, {
          ...options.page,
          defaultPair: options.page.defaultPair ?? history.pairNames()[0] ?? null,
        });
      return 'config';
    }

    if (path === '/api/pairs') {
      const query = parseQuery(schemas.none, url.search);
      if (!query.ok) badRequest(response, query.parameter, query.message);
      else sendJson(response, 200, { pairs: pairSummaries(history) });
      return 'pairs';
    }

    if (path === '/api/snapshot') {
      const query = parseQuery(schemas.snapshot, url.search);
      if (!query.ok) {
        badRequest(response, query.parameter, query.message);
        return 'snapshot';
      }
      const { pair } = query.value;
      const snapshot = snapshotFor(pair, query.value.window ?? options.page.windowMs);
      if (snapshot === null) {
        const shown = history.pairNames();
        sendJson(response, 404, {
          error: 'not_found',
          message: `${pair} is not shown here${shown.length > 0 ? `; pairs shown: ${shown.join(', ')}` : ' (no pair has data yet)'}`,
        });
        return 'snapshot';
      }
      if (request.headers['if-none-match'] === snapshot.etag) {
        response.writeHead(304, { ...SECURITY_HEADERS, etag: snapshot.etag }).end();
        return 'snapshot';
      }
      const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
      if (gzip) snapshot.gzip ??= gzipSync(snapshot.json);
      const body = gzip && snapshot.gzip !== null ? snapshot.gzip : snapshot.json;
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': 'application/json; charset=utf-8',
        'content-length': body.length,
        etag: snapshot.etag,
        vary: 'accept-encoding',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      response.end(body);
      return 'snapshot';
    }

    sendJson(response, 404, { error: 'not_found', message: `no route ${path}` });
    return 'other';
  };

  const server: Server = createServer((request, response) => {
    let route = 'other';
    try {
      route = handle(request, response);
    } catch (error) {
      log.error({ err: describeError(error), url: request.url }, 'request failed');
      if (!response.headersSent)
        sendJson(response, 500, { error: 'internal', message: 'the dashboard failed to answer' });
      else response.destroy();
    }
    metrics.requests.inc({ route, status: String(response.statusCode) });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(response: ServerResponse, status: number, contentType: string, body: Buffer, extra = {}): void {
  response
    .writeHead(status, { ...SECURITY_HEADERS, 'content-type': contentType, 'content-length': body.length, ...extra })
    .end(body);
}

function sendJson(response: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
  send(response, status, 'application/json; charset=utf-8', Buffer.from(JSON.stringify(value)), extra);
}

function badRequest(response: ServerResponse, parameter: string | null, message: string): void {
  sendJson(response, 400, { error: 'bad_request', message, ...(parameter === null ? {} : { parameter }) });
}

function sendAsset(request: IncomingMessage, response: ServerResponse, asset: Asset | undefined): void {
  if (asset === undefined) {
    sendJson(response, 404, { error: 'not_found', message: 'no such file' });
    return;
  }
  if (request.headers['if-none-match'] === asset.etag) {
    response.writeHead(304, { ...SECURITY_HEADERS, etag: asset.etag }).end();
    return;
  }
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': asset.contentType,
    'content-length': asset.body.length,
    etag: asset.etag,
  });
  // Node leaves the body out of an answer to HEAD.
  response.end(asset.body);
}
