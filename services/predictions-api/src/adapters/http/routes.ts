import type { OutgoingHttpHeaders } from 'node:http';
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
import { DOCS_PAGE } from './docs-page.js';
import { openApiDocument } from './openapi.js';
import type { RequestHead } from './request-head.js';

export interface RouteDependencies {
  cache: LatestCache;
  store: PredictionStore;
  auth: Authenticator;
  limiter: RateLimiter;
  metrics: ApiMetrics;
  /** The Prometheus text for /metrics (this process's registry, or a whole cluster's). */
  metricsText: () => Promise<string>;
  metricsType: string;
  log: Logger;
  clock: () => number;
  readiness: ReadinessCheck[];
}

export type Headers = Record<string, string | number>;
/** A value now, or later: the hot path stays synchronous when nothing has to be waited for. */
export type Maybe<T> = T | Promise<T>;

/** A whole answer: a transport writes the status, these headers, the content type and length, and the body. */
export interface BodyAnswer {
  kind: 'body';
  status: number;
  headers: OutgoingHttpHeaders;
  type: string;
  body: string | Buffer;
}

/** The head of an event stream: the transport opens it on the connection and keeps it. */
export interface StreamAnswer {
  kind: 'stream';
  headers: Headers;
  pair: string | undefined;
  horizon: number | undefined;
  snapshot: Prediction[];
}

export type Answer = BodyAnswer | StreamAnswer;

export const JSON_TYPE = 'application/json; charset=utf-8';

type Handler = (search: string, headers: Headers) => Maybe<Answer>;

interface Route {
  name: string;
  authenticated: boolean;
  /** The answer is an event stream, which only node:http's transport serves. */
  streams: boolean;
  handler: Handler;
}

export interface ApiRoutes {
  /** The answer to a request. Never rejects: a failure is answered (503 or 500) and logged. */
  answer(request: RequestHead): Maybe<Answer>;
  /**
   * As `answer`, or null, with nothing done or counted, when the path's answer is an event stream
   * (which only node:http's transport serves): one route lookup either way.
   */
  answerUnlessStream(request: RequestHead): Maybe<Answer> | null;
  /** Counts an answer given outside the route table (a request no parser accepted), for /metrics. */
  observeMalformed(status: number): void;
}

/** The answer with `headers` completed (they are the request's own object, not shared). */
export function bodyAnswer(
  status: number,
  body: string | Buffer,
  headers: OutgoingHttpHeaders = {},
  type = JSON_TYPE,
): BodyAnswer {
  return { kind: 'body', status, headers, type, body };
}

export function errorAnswer(
  status: number,
  error: string,
  message: string,
  headers: OutgoingHttpHeaders = {},
  parameter?: string | null,
): BodyAnswer {
  const body = parameter === undefined || parameter === null ? { error, message } : { error, message, parameter };
  return bodyAnswer(status, JSON.stringify(body), { ...headers });
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

/** What the key check and the bucket give: the rate headers to answer with, or a refusal. */
function isRefusal(granted: Headers | BodyAnswer): granted is BodyAnswer {
  return granted.kind === 'body';
}

const UNAUTHORIZED: Record<Exclude<AuthResult, { ok: true }>['reason'], string> = {
  missing: 'an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>',
  invalid: 'the API key is not valid',
  revoked: 'the API key has been revoked',
};

/**
 * The API as a function from a request head to an answer, with a fixed route table and no
 * middleware chain: a request is a path lookup, a cached key check, a token bucket, a validated
 * query and (for the latest) bytes serialized when the prediction arrived. Transports (node:http,
 * the fast lane) only read requests and write answers, so both give the same answer to a request.
 */
export function createApiRoutes(deps: RouteDependencies): ApiRoutes {
  const { cache, store, auth, limiter, metrics, log } = deps;
  const openApi = JSON.stringify(openApiDocument());
  const parseLatest = memoizedParser(LatestQuery);
  const parseHistory = memoizedParser(HistoryQuery);
  const parsePerformance = memoizedParser(PerformanceQuery);
  const parseNone = memoizedParser(NoQuery);
  const parseStream = memoizedParser(StreamQuery);

  const badRequest = (headers: Headers, parsed: { parameter: string | null; message: string }): BodyAnswer =>
    errorAnswer(400, 'bad_request', parsed.message, headers, parsed.parameter);

  const route = (name: string, handler: Handler, authenticated = true, streams = false): Route => ({
    name,
    authenticated,
    streams,
    handler,
  });

  const routes = new Map<string, Route>([
    [
      '/v1/predictions/latest',
      route('latest', (search, headers) => {
        const parsed = parseLatest(search);
        if (!parsed.ok) return badRequest(headers, parsed);
        const { pair, horizon } = parsed.value;
        const body = cache.body(pair, horizon);
        if (body === null) {
          return errorAnswer(
            404,
            'not_found',
            `no prediction for ${pair}${horizon === undefined ? '' : ` at horizon ${horizon}`} yet`,
            headers,
          );
        }
        return bodyAnswer(200, body, headers);
      }),
    ],
    [
      '/v1/predictions',
      route('history', async (search, headers) => {
        const parsed = parseHistory(search);
        if (!parsed.ok) return badRequest(headers, parsed);
        const query = parsed.value;
        const page = await store.history(query);
        return bodyAnswer(
          200,
          JSON.stringify({
            pair: query.pair,
            predictions: page.predictions,
            nextCursor: page.next === null ? null : encodeCursor(page.next),
          }),
          headers,
        );
      }),
    ],
    [
      '/v1/performance',
      route('performance', async (search, headers) => {
        const parsed = parsePerformance(search);
        if (!parsed.ok) return badRequest(headers, parsed);
        const { pair, horizon, window } = parsed.value;
        // The window ends at the newest scored prediction (event time), so a replayed or paused
        // stream reports its last `window` of data; the clock is the fallback when none exist.
        const to = (await store.newestScoredTarget(pair, horizon)) ?? deps.clock();
        const from = to - window.ms;
        const sums = await store.errorSums({ pair, horizon, from, to });
        return bodyAnswer(
          200,
          JSON.stringify({ pair, window: window.text, from, to, horizons: sums.map(horizonPerformance) }),
          headers,
        );
      }),
    ],
    [
      '/v1/pairs',
      route('pairs', (search, headers) => {
        const parsed = parseNone(search);
        if (!parsed.ok) return badRequest(headers, parsed);
        return bodyAnswer(200, JSON.stringify({ pairs: cache.pairsSummary() }), headers);
      }),
    ],
    [
      '/v1/stream',
      route(
        'stream',
        (search, headers) => {
          const parsed = parseStream(search);
          if (!parsed.ok) return badRequest(headers, parsed);
          const { pair, horizon } = parsed.value;
          const pairs = pair === undefined ? cache.pairsSummary().map((entry) => entry.pair) : [pair];
          const snapshot = pairs.flatMap((name) => cache.get(name, horizon));
          return { kind: 'stream', headers, pair, horizon, snapshot };
        },
        true,
        true,
      ),
    ],
    ['/healthz', route('healthz', () => bodyAnswer(200, '{"status":"ok"}'), false)],
    [
      '/readyz',
      route(
        'readyz',
        async () => {
          const result = await readiness(deps.readiness);
          return bodyAnswer(result.ready ? 200 : 503, JSON.stringify(result));
        },
        false,
      ),
    ],
    [
      '/metrics',
      route(
        'metrics',
        async () => {
          metrics.cacheSize.set(cache.size());
          return bodyAnswer(200, await deps.metricsText(), {}, deps.metricsType);
        },
        false,
      ),
    ],
    ['/openapi.json', route('openapi', () => bodyAnswer(200, openApi), false)],
    ['/docs', route('docs', () => bodyAnswer(200, DOCS_PAGE, {}, 'text/html; charset=utf-8'), false)],
  ]);

  const decide = (decision: RateDecision): Headers | BodyAnswer => {
    const headers = rateHeaders(decision);
    if (decision.allowed) return headers;
    headers['retry-after'] = String(decision.retryAfterSeconds);
    return errorAnswer(
      429,
      'rate_limited',
      `over the rate limit of this key: retry in ${decision.retryAfterSeconds} s`,
      headers,
    );
  };

  const afterAuth = (result: AuthResult): Maybe<Headers | BodyAnswer> => {
    if (!result.ok)
      return errorAnswer(401, 'unauthorized', UNAUTHORIZED[result.reason], { 'www-authenticate': 'Bearer' });
    const taken = limiter.take(result.keyId);
    return taken instanceof Promise ? taken.then(decide) : decide(taken);
  };

  /**
   * The key check and the token: the rate headers to answer with, or the refusal.
   * With a remembered key and the memory bucket this is synchronous: no promise on the hot path.
   */
  const authorize = (request: RequestHead): Maybe<Headers | BodyAnswer> => {
    const key = presentedKey(request.authorization, request.apiKey);
    const cached = auth.cached(key);
    return cached === undefined ? auth.check(key).then(afterAuth) : afterAuth(cached);
  };

  /** The route's answer once the key and the bucket have spoken. */
  const granted = (found: Route, request: RequestHead, grant: Headers | BodyAnswer): Maybe<Answer> =>
    isRefusal(grant) ? grant : found.handler(request.search, grant);

  // No closure is created per request on the synchronous path: under tsx each one also costs a
  // `__name` property definition, which showed as a third of this function's time in profiles.
  const dispatch = (request: RequestHead, found: Route | undefined): Maybe<Answer> => {
    // RFC 9112 §3.2: an HTTP/1.1 request without Host gets 400 (here with the usual JSON reason).
    if (request.host === undefined && request.http11)
      return errorAnswer(400, 'bad_request', 'an HTTP/1.1 request needs a Host header');
    if (found === undefined) return errorAnswer(404, 'not_found', `no endpoint ${clip(request.path)}; see /docs`);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return errorAnswer(405, 'method_not_allowed', `${request.path} answers GET (and HEAD) only`, {
        allow: 'GET, HEAD',
      });
    }
    if (!found.authenticated) return found.handler(request.search, {});
    const grant = authorize(request);
    return grant instanceof Promise
      ? grant.then((later) => granted(found, request, later))
      : granted(found, request, grant);
  };

  /** Whatever a handler threw becomes an answer: 503 for a store that is down, else 500. */
  const failed = (error: unknown, name: string): BodyAnswer => {
    const appError = AppError.from(error);
    if (appError.code === 'STORE_UNAVAILABLE') {
      log.warn({ route: name, err: describeError(appError) }, 'a store is unavailable');
      return errorAnswer(503, 'unavailable', 'a store this answer needs is unavailable; retry shortly', {
        'retry-after': '5',
      });
    }
    log.error({ route: name, err: describeError(appError) }, 'request failed');
    return errorAnswer(500, 'internal', 'internal error');
  };

  const finish = (name: string, started: number, answer: Answer): Answer => {
    metrics.observe(name, answer.kind === 'body' ? answer.status : 200, (performance.now() - started) / 1000);
    return answer;
  };

  const respond = (request: RequestHead, found: Route | undefined): Maybe<Answer> => {
    const started = performance.now();
    const name = found?.name ?? 'unknown';
    let outcome: Maybe<Answer>;
    try {
      outcome = dispatch(request, found);
    } catch (error) {
      outcome = failed(error, name);
    }
    return outcome instanceof Promise
      ? outcome.then(
          (answer) => finish(name, started, answer),
          (error: unknown) => finish(name, started, failed(error, name)),
        )
      : finish(name, started, outcome);
  };

  return {
    answer: (request) => respond(request, routes.get(request.path)),
    answerUnlessStream(request) {
      const found = routes.get(request.path);
      return found?.streams === true ? null : respond(request, found);
    },
    observeMalformed: (status) => metrics.observe('malformed', status, 0),
  };
}
