import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import {
  AppError,
  describeError,
  readiness,
  type Logger,
  type Prediction,
  type ReadinessCheck,
} from '@crypto-predict/core';
import { presentedKey } from '../../domain/api-key.js';
import { encodeCursor } from '../../domain/cursor.js';
import type { LatestCache } from '../../domain/latest-cache.js';
import { horizonPerformance } from '../../domain/performance.js';
import {
  HistoryQuery,
  LatestQuery,
  memoizedParser,
  NoQuery,
  PerformanceQuery,
  StreamQuery,
} from '../../domain/query-params.js';
import type { RateDecision } from '../../domain/token-bucket.js';
import type { ApiMetrics } from '../../metrics.js';
import type { AuthResult, Authenticator } from '../authenticator.js';
import type { PredictionStore } from '../prediction-store.js';
import type { RateLimiter } from '../rate-limiter.js';
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
  /** The Prometheus text for /metrics (this process's registry, or a whole cluster's). */
  metricsText: () => Promise<string>;
  metricsType: string;
  log: Logger;
  clock: () => number;
  readiness: ReadinessCheck[];
}

type Headers = Record<string, string | number>;
/** A value now, or later: the hot path stays synchronous when nothing has to be waited for. */
type Maybe<T> = T | Promise<T>;
type Handler = (search: string, response: ServerResponse, headers: Headers) => Maybe<number>;

interface Route {
  name: string;
  authenticated: boolean;
  handler: Handler;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Writes a whole answer. `headers` is the request's own object: it is completed, not copied. */
function send(
  response: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: OutgoingHttpHeaders = {},
  type = JSON_TYPE,
): number {
  headers['content-type'] = type;
  headers['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  response.writeHead(status, headers);
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
  return send(response, status, JSON.stringify(body), { ...headers });
}

/** At most `max` characters of something a client sent, for an error message. */
function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
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
  const parseLatest = memoizedParser(LatestQuery);
  const parseHistory = memoizedParser(HistoryQuery);
  const parsePerformance = memoizedParser(PerformanceQuery);
  const parseNone = memoizedParser(NoQuery);
  const parseStream = memoizedParser(StreamQuery);

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
          const parsed = parseLatest(search);
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
          const parsed = parseHistory(search);
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
          const parsed = parsePerformance(search);
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
          const parsed = parseNone(search);
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
          const parsed = parseStream(search);
          if (!parsed.ok) return badRequest(response, headers, parsed);
          if (response.req.method === 'HEAD') {
            // A stream never ends; its HEAD is just the head.
            response.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8' });
            response.end();
            return 200;
          }
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
          return send(response, 200, await deps.metricsText(), {}, deps.metricsType);
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

  const decide = (decision: RateDecision, response: ServerResponse): Headers | number => {
    const headers = rateHeaders(decision);
    if (decision.allowed) return headers;
    headers['retry-after'] = String(decision.retryAfterSeconds);
    return sendError(
      response,
      429,
      'rate_limited',
      `over the rate limit of this key: retry in ${decision.retryAfterSeconds} s`,
      headers,
    );
  };

  const afterAuth = (result: AuthResult, response: ServerResponse): Maybe<Headers | number> => {
    if (!result.ok)
      return sendError(response, 401, 'unauthorized', UNAUTHORIZED[result.reason], { 'www-authenticate': 'Bearer' });
    const taken = limiter.take(result.keyId);
    return taken instanceof Promise ? taken.then((decision) => decide(decision, response)) : decide(taken, response);
  };

  /**
   * The key check and the token: the rate headers to answer with, or the status already answered.
   * With a remembered key and the memory bucket this is synchronous: no promise on the hot path.
   */
  const authorize = (request: IncomingMessage, response: ServerResponse): Maybe<Headers | number> => {
    const key = presentedKey(request.headers.authorization, request.headers['x-api-key']);
    const cached = auth.cached(key);
    return cached === undefined
      ? auth.check(key).then((result) => afterAuth(result, response))
      : afterAuth(cached, response);
  };

  const dispatch = (
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
    search: string,
  ): Maybe<number> => {
    const route = routes.get(path);
    // RFC 9112 §3.2: an HTTP/1.1 request without Host gets 400 (here with the usual JSON reason).
    if (request.headers.host === undefined && request.httpVersionMinor === 1 && request.httpVersionMajor === 1)
      return sendError(response, 400, 'bad_request', 'an HTTP/1.1 request needs a Host header');
    if (route === undefined) return sendError(response, 404, 'not_found', `no endpoint ${clip(path)}; see /docs`);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return sendError(response, 405, 'method_not_allowed', `${path} answers GET (and HEAD) only`, {
        allow: 'GET, HEAD',
      });
    }
    if (!route.authenticated) return route.handler(search, response, {});
    const authorized = authorize(request, response);
    const answer = (headers: Headers | number): Maybe<number> =>
      typeof headers === 'number' ? headers : route.handler(search, response, headers);
    return authorized instanceof Promise ? authorized.then(answer) : answer(authorized);
  };

  /** Whatever a handler threw becomes an answer: 503 for a store that is down, else 500. */
  const failed = (error: unknown, response: ServerResponse, name: string): number => {
    const appError = AppError.from(error);
    if (response.headersSent) {
      response.destroy();
      return 500;
    }
    if (appError.code === 'STORE_UNAVAILABLE') {
      log.warn({ route: name, err: describeError(appError) }, 'a store is unavailable');
      return sendError(response, 503, 'unavailable', 'a store this answer needs is unavailable; retry shortly', {
        'retry-after': '5',
      });
    }
    log.error({ route: name, err: describeError(appError) }, 'request failed');
    return sendError(response, 500, 'internal', 'internal error');
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const started = performance.now();
    const url = request.url ?? '/';
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    const search = mark < 0 ? '' : url.slice(mark + 1);
    const name = routes.get(path)?.name ?? 'unknown';
    const done = (status: number): void => metrics.observe(name, status, (performance.now() - started) / 1000);
    let outcome: Maybe<number>;
    try {
      outcome = dispatch(request, response, path, search);
    } catch (error) {
      outcome = failed(error, response, name);
    }
    if (outcome instanceof Promise) outcome.then(done, (error: unknown) => done(failed(error, response, name)));
    else done(outcome);
  };

  // requireHostHeader: off so that the 400 for a missing Host carries a JSON reason (above).
  const server = createServer({ requireHostHeader: false }, handle);
  // CONNECT is not for this server; unanswered, Node would just drop the connection.
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    const body = JSON.stringify({ error: 'method_not_allowed', message: 'CONNECT is not supported; use GET' });
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nallow: GET, HEAD\r\ncontent-type: ${JSON_TYPE}\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    metrics.observe('malformed', 405, 0);
  });
  // A request Node's parser refuses (bad request line, headers too large, a timeout) would get a
  // bare status line; it gets the same JSON error body as every other refusal.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', 'the request line and headers are larger than this server accepts (16 KiB)']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'request_timeout', 'the request did not arrive in time']
          : [400, 'bad_request', 'not a well-formed HTTP/1.1 request'];
    const body = JSON.stringify({ error: reason, message });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: ${JSON_TYPE}\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    metrics.observe('malformed', status, 0);
  });
  return server;
}
