import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import {
  AppError,
  describeError,
  readiness,
  type Logger,
  type Prediction,
  type ReadinessCheck,
} from '@crypto-predict/core';
import type { Registry } from 'prom-client';
import { presentedKey } from '../../domain/api-key.js';
import { encodeCursor } from '../../domain/cursor.js';
import type { LatestCache } from '../../domain/latest-cache.js';
import { horizonPerformance } from '../../domain/performance.js';
import {
  HistoryQuery,
  LatestQuery,
  NoQuery,
  parseQuery,
  PerformanceQuery,
  StreamQuery,
} from '../../domain/query-params.js';
import type { RateDecision, RateLimiter } from '../../domain/token-bucket.js';
import type { ApiMetrics } from '../../metrics.js';
import type { AuthResult, Authenticator } from '../authenticator.js';
import type { PredictionStore } from '../prediction-store.js';
import type { StreamHub } from '../stream-hub.js';
import { DOCS_PAGE } from './docs-page.js';
import { openApiDocument } from './openapi.js';

export interface HttpDependencies {
  cache: LatestCache;
  store: PredictionStore;
  auth: Authenticator;
  limiter: RateLimiter;
  hub: StreamHub;
  metrics: ApiMetrics;
  registry: Registry;
  log: Logger;
  clock: () => number;
  readiness: ReadinessCheck[];
}

type Headers = Record<string, string | number>;
type Handler = (search: string, response: ServerResponse, headers: Headers) => Promise<number> | number;

interface Route {
  name: string;
  authenticated: boolean;
  handler: Handler;
}

const JSON_TYPE = 'application/json; charset=utf-8';

function send(
  response: ServerResponse,
  status: number,
  body: string,
  headers: OutgoingHttpHeaders = {},
  type = JSON_TYPE,
): number {
  response.writeHead(status, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
  return status;
}

function sendError(
  response: ServerResponse,
  status: number,
  error: string,
  message: string,
  headers: OutgoingHttpHeaders = {},
  parameter?: string | null,
): number {
  const body = parameter === undefined || parameter === null ? { error, message } : { error, message, parameter };
  return send(response, status, JSON.stringify(body), headers);
}

function rateHeaders(decision: RateDecision): Headers {
  return {
    'ratelimit-limit': decision.limit,
    'ratelimit-remaining': decision.remaining,
    'ratelimit-reset': decision.resetSeconds,
  };
}

const UNAUTHORIZED: Record<Exclude<AuthResult, { ok: true }>['reason'], string> = {
  missing: 'an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>',
  invalid: 'the API key is not valid',
  revoked: 'the API key has been revoked',
};

/**
 * The HTTP API on node:http, with a fixed route table and no middleware chain: a request is a path
 * lookup, a cached key check, a token bucket, a validated query and (for the latest) a string that
 * was serialized when the prediction arrived.
 */
export function createApiServer(deps: HttpDependencies): Server {
  const { cache, store, auth, limiter, hub, metrics, log } = deps;
  const openApi = JSON.stringify(openApiDocument());

  const badRequest = (
    response: ServerResponse,
    headers: Headers,
    parsed: { parameter: string | null; message: string },
  ): number => sendError(response, 400, 'bad_request', parsed.message, headers, parsed.parameter);

  const routes = new Map<string, Route>([
    [
      '/v1/predictions/latest',
      {
        name: 'latest',
        authenticated: true,
        handler: (search, response, headers) => {
          const parsed = parseQuery(LatestQuery, search);
          if (!parsed.ok) return badRequest(response, headers, parsed);
          const { pair, horizon } = parsed.value;
          const body = cache.body(pair, horizon);
          if (body === null) {
            return sendError(
              response,
              404,
              'not_found',
              `no prediction for ${pair}${horizon === undefined ? '' : ` at horizon ${horizon}`} yet`,
              headers,
            );
          }
          return send(response, 200, body, headers);
        },
      },
    ],
    [
      '/v1/predictions',
      {
        name: 'history',
        authenticated: true,
        handler: async (search, response, headers) => {
          const parsed = parseQuery(HistoryQuery, search);
          if (!parsed.ok) return badRequest(response, headers, parsed);
          const query = parsed.value;
          const page = await store.history(query);
          return send(
            response,
            200,
            JSON.stringify({
              pair: query.pair,
              predictions: page.predictions,
              nextCursor: page.next === null ? null : encodeCursor(page.next),
            }),
            headers,
          );
        },
      },
    ],
    [
      '/v1/performance',
      {
        name: 'performance',
        authenticated: true,
        handler: async (search, response, headers) => {
          const parsed = parseQuery(PerformanceQuery, search);
          if (!parsed.ok) return badRequest(response, headers, parsed);
          const { pair, horizon, window } = parsed.value;
          // The window ends at the newest scored prediction (event time), so a replayed or paused
          // stream reports its last `window` of data; the clock is the fallback when none exist.
          const to = (await store.newestScoredTarget(pair, horizon)) ?? deps.clock();
          const from = to - window.ms;
          const sums = await store.errorSums({ pair, horizon, from, to });
          return send(
            response,
            200,
            JSON.stringify({ pair, window: window.text, from, to, horizons: sums.map(horizonPerformance) }),
            headers,
          );
        },
      },
    ],
    [
      '/v1/pairs',
      {
        name: 'pairs',
        authenticated: true,
        handler: (search, response, headers) => {
          const parsed = parseQuery(NoQuery, search);
          if (!parsed.ok) return badRequest(response, headers, parsed);
          return send(response, 200, JSON.stringify({ pairs: cache.pairsSummary() }), headers);
        },
      },
    ],
    [
      '/v1/stream',
      {
        name: 'stream',
        authenticated: true,
        handler: (search, response, headers) => {
          const parsed = parseQuery(StreamQuery, search);
          if (!parsed.ok) return badRequest(response, headers, parsed);
          const { pair, horizon } = parsed.value;
          const pairs = pair === undefined ? cache.pairsSummary().map((entry) => entry.pair) : [pair];
          const snapshot: Prediction[] = pairs.flatMap((name) => cache.get(name, horizon));
          hub.open(response, { pair, horizon }, snapshot, headers);
          metrics.streams.set(hub.count());
          response.on('close', () => metrics.streams.set(hub.count()));
          return 200;
        },
      },
    ],
    [
      '/healthz',
      { name: 'healthz', authenticated: false, handler: (_search, response) => send(response, 200, '{"status":"ok"}') },
    ],
    [
      '/readyz',
      {
        name: 'readyz',
        authenticated: false,
        handler: async (_search, response) => {
          const result = await readiness(deps.readiness);
          return send(response, result.ready ? 200 : 503, JSON.stringify(result));
        },
      },
    ],
    [
      '/metrics',
      {
        name: 'metrics',
        authenticated: false,
        handler: async (_search, response) => {
          metrics.cacheSize.set(cache.size());
          return send(response, 200, await deps.registry.metrics(), {}, deps.registry.contentType);
        },
      },
    ],
    [
      '/openapi.json',
      { name: 'openapi', authenticated: false, handler: (_search, response) => send(response, 200, openApi) },
    ],
    [
      '/docs',
      {
        name: 'docs',
        authenticated: false,
        handler: (_search, response) => send(response, 200, DOCS_PAGE, {}, 'text/html; charset=utf-8'),
      },
    ],
  ]);

  const authorize = async (request: IncomingMessage, response: ServerResponse): Promise<Headers | number> => {
    const key = presentedKey(request.headers.authorization, request.headers['x-api-key']);
    const result = auth.cached(key) ?? (await auth.check(key));
    if (!result.ok)
      return sendError(response, 401, 'unauthorized', UNAUTHORIZED[result.reason], { 'www-authenticate': 'Bearer' });
    const decision = limiter.take(result.keyId, deps.clock());
    const headers = rateHeaders(decision);
    if (!decision.allowed) {
      return sendError(
        response,
        429,
        'rate_limited',
        `over the rate limit of this key: retry in ${decision.retryAfterSeconds} s`,
        {
          ...headers,
          'retry-after': String(decision.retryAfterSeconds),
        },
      );
    }
    return headers;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const started = performance.now();
    const url = request.url ?? '/';
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    const search = mark < 0 ? '' : url.slice(mark + 1);
    const route = routes.get(path);
    let name = route?.name ?? 'unknown';
    let status: number;
    try {
      if (route === undefined) status = sendError(response, 404, 'not_found', `no endpoint ${path}; see /docs`);
      else if (request.method !== 'GET' && request.method !== 'HEAD') {
        status = sendError(response, 405, 'method_not_allowed', `${path} answers GET only`, { allow: 'GET, HEAD' });
      } else if (!route.authenticated) status = await route.handler(search, response, {});
      else {
        const authorized = await authorize(request, response);
        status = typeof authorized === 'number' ? authorized : await route.handler(search, response, authorized);
      }
    } catch (error) {
      const appError = AppError.from(error);
      if (response.headersSent) {
        response.destroy();
        status = 500;
      } else if (appError.code === 'STORE_UNAVAILABLE') {
        log.warn({ route: name, err: describeError(appError) }, 'a store is unavailable');
        status = sendError(response, 503, 'unavailable', 'a store this answer needs is unavailable; retry shortly', {
          'retry-after': '5',
        });
      } else {
        log.error({ route: name, err: describeError(appError) }, 'request failed');
        status = sendError(response, 500, 'internal', 'internal error');
      }
      name = route?.name ?? name;
    }
    metrics.observe(name, status, (performance.now() - started) / 1000);
  };

  return createServer((request, response) => {
    void handle(request, response);
  });
}
