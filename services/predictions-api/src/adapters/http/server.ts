import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { StreamHub } from '../stream-hub.js';
import { createFastLane } from './fast-lane.js';
import type { RequestHead } from './request-head.js';
import {
  createApiRoutes,
  JSON_TYPE,
  type Answer,
  type ApiRoutes,
  type Maybe,
  type RouteDependencies,
} from './routes.js';

export interface HttpDependencies extends RouteDependencies {
  hub: StreamHub;
  /** Serve plain GETs on the fast lane (fast-lane.ts), everything else on node:http; false: node:http only. */
  fastLane: boolean;
}

export interface ApiServer {
  /** Listens; resolves with the port (the one the OS chose for port 0). */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting, closes idle connections, lets answers in flight finish (at most `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

/** node:http's view of a request, as the route table reads it. */
function headOf(request: IncomingMessage): RequestHead {
  const url = request.url ?? '/';
  const mark = url.indexOf('?');
  return {
    method: request.method ?? 'GET',
    path: mark < 0 ? url : url.slice(0, mark),
    search: mark < 0 ? '' : url.slice(mark + 1),
    host: request.headers.host,
    http11: request.httpVersionMajor === 1 && request.httpVersionMinor === 1,
    authorization: request.headers.authorization,
    apiKey: request.headers['x-api-key'],
  };
}

/** An answer given without a parsed request (CONNECT, a request Node's parser refused), then close. */
function refuseOnSocket(socket: Duplex, status: number, error: string, message: string, extra = ''): void {
  const body = JSON.stringify({ error, message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${extra}content-type: ${JSON_TYPE}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** The node:http transport: every request the fast lane does not take, and every event stream. */
function createNodeServer(routes: ApiRoutes, hub: StreamHub, deps: HttpDependencies): Server {
  const write = (request: IncomingMessage, response: ServerResponse, answer: Answer): void => {
    if (answer.kind === 'body') {
      const { headers } = answer;
      headers['content-type'] = answer.type;
      headers['content-length'] = typeof answer.body === 'string' ? Buffer.byteLength(answer.body) : answer.body.length;
      response.writeHead(answer.status, headers);
      response.end(answer.body);
      return;
    }
    if (request.method === 'HEAD') {
      // A stream never ends; its HEAD is just the head.
      response.writeHead(200, { ...answer.headers, 'content-type': 'text/event-stream; charset=utf-8' });
      response.end();
      return;
    }
    hub.open(response, { pair: answer.pair, horizon: answer.horizon }, answer.snapshot, answer.headers);
    deps.metrics.streams.set(hub.count());
    response.on('close', () => deps.metrics.streams.set(hub.count()));
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const outcome: Maybe<Answer> = routes.answer(headOf(request));
    if (outcome instanceof Promise) void outcome.then((answer) => write(request, response, answer));
    else write(request, response, outcome);
  };

  // requireHostHeader: off so that the 400 for a missing Host carries a JSON reason (routes.ts).
  const server = createServer({ requireHostHeader: false }, handle);
  // CONNECT is not for this server; unanswered, Node would just drop the connection.
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    refuseOnSocket(socket, 405, 'method_not_allowed', 'CONNECT is not supported; use GET', 'allow: GET, HEAD\r\n');
    routes.observeMalformed(405);
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
    refuseOnSocket(socket, status, reason, message);
    routes.observeMalformed(status);
  });
  return server;
}

/**
 * The API's HTTP server. With the fast lane on (the default), a net server accepts connections and
 * answers well-formed plain GETs itself; a connection that sends anything else is handed, with the
 * bytes it sent, to node:http, which serves it from then on. Both answer from one route table.
 */
export function createApiServer(deps: HttpDependencies): ApiServer {
  const routes = createApiRoutes(deps);
  const http = createNodeServer(routes, deps.hub, deps);
  const front = deps.fastLane
    ? createFastLane(routes, http, {
        keepAliveTimeoutMs: http.keepAliveTimeout,
        counters: { answers: deps.metrics.fastLaneAnswers, handoffs: deps.metrics.fastLaneHandoffs },
      })
    : null;
  const listening = front?.server ?? http;
  return {
    listen(port, host) {
      return new Promise<number>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, host, () => {
          listening.off('error', reject);
          resolve((listening.address() as AddressInfo).port);
        });
      });
    },
    async close(graceMs = 5_000) {
      const closed = new Promise<void>((resolve) => listening.close(() => resolve()));
      front?.closeIdle();
      http.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      front?.destroyAll();
      http.closeAllConnections();
    },
  };
}
