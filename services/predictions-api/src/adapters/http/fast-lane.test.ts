import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { createFastLane, type FastLane } from './fast-lane.js';
import type { RequestHead } from './request-head.js';
import { bodyAnswer, type Answer, type ApiRoutes, type Maybe } from './routes.js';

/** Routes that echo the path; `/slow?ms=N` answers after N ms, `/v1/stream` is a stream route. */
function echoRoutes(): ApiRoutes & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    answer(request: RequestHead): Maybe<Answer> {
      seen.push(`${request.method} ${request.path}`);
      const answer = bodyAnswer(200, `fast ${request.path}${request.search === '' ? '' : `?${request.search}`}`, {
        'x-key': request.apiKey ?? '-',
      });
      if (request.path === '/big') return bodyAnswer(200, Buffer.alloc(64 * 1024, 'b'));
      const ms = /^ms=(\d+)$/.exec(request.search)?.[1];
      if (request.path === '/slow' && ms !== undefined)
        return new Promise((resolve) => setTimeout(() => resolve(answer), Number(ms)));
      return answer;
    },
    answerUnlessStream(request: RequestHead): Maybe<Answer> | null {
      return request.path === '/v1/stream' ? null : this.answer(request);
    },
    observeMalformed: () => undefined,
  };
}

interface Harness {
  lane: FastLane;
  fallback: HttpServer;
  routes: ReturnType<typeof echoRoutes>;
  port: number;
  counters: { answers: Counter; handoffs: Counter };
}

/** Sends raw bytes (in the given pieces, a pause between them) and reads until `answers` answers arrived or the server closed. */
function exchange(
  port: number,
  pieces: string[],
  answers: number,
  pauseMs = 30,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    const done = (): void => {
      socket.destroy();
      resolve({ text, closed });
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if ((text.match(/HTTP\/1\.1 /g) ?? []).length >= answers && bodiesComplete(text)) setTimeout(done, 20);
    });
    socket.on('end', () => {
      closed = true;
      done();
    });
    socket.on('error', reject);
    void (async () => {
      for (const piece of pieces) {
        socket.write(piece, 'latin1');
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    })();
  });
}

/** Whether the last answer's body is complete (by its Content-Length). */
function bodiesComplete(text: string): boolean {
  const last = text.lastIndexOf('HTTP/1.1 ');
  const head = text.indexOf('\r\n\r\n', last);
  if (head < 0) return false;
  const length = Number(/content-length: (\d+)/i.exec(text.slice(last, head))?.[1] ?? 0);
  return text.length - (head + 4) >= length;
}

const bodies = (text: string): string[] =>
  [...text.matchAll(/\r\n\r\n(fast [^H]*?|node [^H]*?)(?=HTTP\/1\.1 |$)/g)].map((m) => m[1] ?? '');

const get = (target: string, extra = ''): string => `GET ${target} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;

describe('the fast lane', () => {
  let h: Harness;
  beforeEach(async () => {
    const routes = echoRoutes();
    const fallback = createHttpServer((request, response) => {
      response.setHeader('content-type', 'text/plain');
      response.end(`node ${request.method ?? '?'} ${request.url ?? '?'}`);
    });
    fallback.keepAliveTimeout = 300;
    const registry = new Registry();
    const counters = {
      answers: new Counter({ name: 'answers', help: 'a', registers: [registry] }),
      handoffs: new Counter({ name: 'handoffs', help: 'h', registers: [registry] }),
    };
    const lane = createFastLane(routes, fallback, { keepAliveTimeoutMs: 300, counters });
    await new Promise<void>((resolve) => lane.server.listen(0, '127.0.0.1', resolve));
    h = { lane, fallback, routes, port: (lane.server.address() as AddressInfo).port, counters };
  });
  afterEach(async () => {
    h.lane.destroyAll();
    h.fallback.closeAllConnections();
    await new Promise<void>((resolve) => h.lane.server.close(() => resolve()));
  });

  const count = async (counter: Counter): Promise<number> => (await counter.get()).values[0]?.value ?? 0;

  it('answers keep-alive GETs itself, with Date, keep-alive and the route headers', async () => {
    const { text, closed } = await exchange(h.port, [get('/a?x=1', 'X-API-Key: k\r\n'), get('/b')], 2);
    assert.deepEqual(bodies(text), ['fast /a?x=1', 'fast /b'], 'both answers, in order, from the lane');
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\r\ndate: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n/);
    assert.match(text, /\r\nconnection: keep-alive\r\nkeep-alive: timeout=\d+\r\n/);
    assert.match(text, /\r\nx-key: k\r\n/);
    assert.match(text, /\r\ncontent-length: 11\r\n/);
    assert.equal(closed, false);
    assert.equal(await count(h.counters.answers), 2);
    assert.equal(await count(h.counters.handoffs), 0);
  });

  it('asks the routes anew for each request repeated on a connection, and reads a changed one afresh', async () => {
    const same = get('/a?x=1', 'X-API-Key: k\r\n');
    const pieces = [same, same, same, get('/a?x=2', 'X-API-Key: k\r\n'), get('/a?x=1', 'X-API-Key: j\r\n'), same];
    const { text } = await exchange(h.port, pieces, pieces.length);
    assert.deepEqual(bodies(text), [
      'fast /a?x=1',
      'fast /a?x=1',
      'fast /a?x=1',
      'fast /a?x=2',
      'fast /a?x=1',
      'fast /a?x=1',
    ]);
    assert.deepEqual(
      [...text.matchAll(/\r\nx-key: (\w)\r\n/g)].map((m) => m[1]),
      ['k', 'k', 'k', 'k', 'j', 'k'],
    );
    assert.equal(h.routes.seen.length, pieces.length, 'every request reached the routes (key and bucket included)');
    assert.equal(await count(h.counters.answers), pieces.length);
  });

  it('dates each answer with the current second (or the one before, at its very end), reading the clock once a second', async () => {
    const dateOf = async (): Promise<number> => {
      const { text } = await exchange(h.port, [get('/a')], 1);
      return Date.parse(/\r\ndate: ([^\r]+)\r\n/.exec(text)?.[1] ?? '');
    };
    // The cached value is dropped by a timer at the second's end, which may fire a little late (as
    // node:http's): a Date may lag by one second for those few ms, never by more.
    for (let i = 0; i < 4; i += 1) {
      const before = Math.floor(Date.now() / 1000) * 1000;
      const dated = await dateOf();
      const after = Date.now();
      assert.ok(dated >= before - 1000 && dated <= after, `Date ${new Date(dated).toUTCString()} is stale`);
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
  });

  it('answers pipelined requests in order, a slow answer holding back the quick ones behind it', async () => {
    const { text } = await exchange(h.port, [get('/slow?ms=80') + get('/quick') + get('/slow?ms=10')], 3);
    assert.deepEqual(bodies(text), ['fast /slow?ms=80', 'fast /quick', 'fast /slow?ms=10']);
  });

  it('keeps the requests behind an awaited answer intact while other connections read', async () => {
    // Every connection reads into one buffer: what a connection holds past a read must be its own copy.
    const held = exchange(h.port, [get('/slow?ms=80') + get('/held?x=1')], 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const others = await Promise.all([1, 2, 3].map((i) => exchange(h.port, [get(`/other-${i}?y=${i}`)], 1)));
    assert.deepEqual(bodies((await held).text), ['fast /slow?ms=80', 'fast /held?x=1']);
    assert.deepEqual(
      others.map(({ text }) => bodies(text)),
      [1, 2, 3].map((i) => [`fast /other-${i}?y=${i}`]),
    );
  });

  it('hands the connection to node:http at the first request it does not read, with the bytes after it', async () => {
    const pipelined = get('/one') + 'HEAD /two HTTP/1.1\r\nHost: t\r\n\r\n' + get('/three');
    const { text } = await exchange(h.port, [pipelined, get('/four')], 4);
    const answers = text.split(/(?=HTTP\/1\.1 )/);
    assert.equal(answers.length, 4, `four answers: ${text}`);
    assert.match(answers[0] ?? '', /fast \/one$/);
    assert.doesNotMatch(answers[1] ?? '', /\r\n\r\n./, 'HEAD: node:http answers the head only');
    assert.match(answers[2] ?? '', /node GET \/three$/, 'node:http serves the connection from then on');
    assert.match(answers[3] ?? '', /node GET \/four$/);
    assert.equal(await count(h.counters.handoffs), 1);
    assert.deepEqual(h.routes.seen, ['GET /one'], 'the lane answered only the request before the handoff');
  });

  it("hands an upgrade to node:http, whose listener then reads the connection's bytes", async () => {
    h.fallback.on('upgrade', (_request: unknown, socket: Socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (chunk: Buffer) => socket.write(`echo ${chunk.toString('latin1')}`));
      socket.on('end', () => socket.destroy());
    });
    const socket = connect(h.port, '127.0.0.1');
    socket.setEncoding('latin1');
    let text = '';
    const echoed = new Promise<void>((resolve) =>
      socket.on('data', (chunk: string) => {
        text += chunk;
        if (text.endsWith('\r\n\r\n')) socket.write('ping');
        if (text.endsWith('echo ping')) resolve();
      }),
    );
    socket.write(get('/up', 'Connection: Upgrade\r\nUpgrade: echo\r\n'));
    await Promise.race([echoed, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    socket.destroy();
    assert.match(text, /^HTTP\/1\.1 101 [^]*\r\n\r\necho ping$/);
  });

  it('hands off a head split across reads, which node:http then reads whole', async () => {
    const request = get('/split?x=1', 'X-API-Key: k\r\n');
    const { text } = await exchange(h.port, [request.slice(0, 20), request.slice(20)], 1);
    assert.deepEqual(bodies(text), ['node GET /split?x=1']);
  });

  for (const [what, request] of [
    ['an event stream', get('/v1/stream')],
    ['Connection: close', get('/c', 'Connection: close\r\n')],
    ['a body', 'POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi'],
    ['HTTP/1.0', 'GET /old HTTP/1.0\r\n\r\n'],
  ] as const) {
    it(`hands ${what} to node:http`, async () => {
      const { text } = await exchange(h.port, [request], 1);
      assert.match(text, /\r\n\r\nnode /, `node:http must answer ${what}: ${text}`);
      assert.equal(await count(h.counters.answers), 0);
    });
  }

  it('reads no more requests from a client that does not read its answers, until it does', async () => {
    const requests = 400; // 400 answers of 64 KiB: far more than the sockets' buffers hold
    const socket = connect(h.port, '127.0.0.1');
    socket.pause();
    socket.write(get('/big').repeat(requests));
    await new Promise((r) => setTimeout(r, 300));
    const answeredWhilePaused = h.routes.seen.length;
    assert.ok(
      answeredWhilePaused < requests / 2,
      `the lane must stop reading while its answers are not read (${answeredWhilePaused} of ${requests} answered)`,
    );
    let received = 0;
    await new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (h.routes.seen.length === requests && received >= requests * 64 * 1024) resolve();
      });
      socket.resume();
    });
    socket.destroy();
    assert.equal(h.routes.seen.length, requests, 'every request is answered once the client reads');
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const started = performance.now();
    const socket = connect(h.port, '127.0.0.1');
    socket.resume();
    socket.write(get('/a'));
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const waited = performance.now() - started;
    assert.ok(waited >= 250 && waited < 3_000, `closed after ${waited.toFixed(0)} ms, the timeout is 300 ms`);
  });

  it('finishes the answers a client is owed after it half-closes, then closes', async () => {
    const { text, closed } = await new Promise<{ text: string; closed: boolean }>((resolve) => {
      const socket = connect(h.port, '127.0.0.1');
      let received = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('end', () => resolve({ text: received, closed: true }));
      socket.end(get('/slow?ms=50') + get('/after'));
    });
    assert.deepEqual(bodies(text), ['fast /slow?ms=50', 'fast /after']);
    assert.equal(closed, true);
  });

  it('on closeIdle, closes idle connections at once and busy ones after their answer', async () => {
    const idle = connect(h.port, '127.0.0.1');
    idle.resume();
    await new Promise<void>((resolve) => idle.on('connect', () => resolve()));
    const busy = exchange(h.port, [get('/slow?ms=150')], 1);
    await new Promise((r) => setTimeout(r, 50));
    const idleClosed = new Promise<void>((resolve) => idle.on('close', () => resolve()));
    h.lane.closeIdle();
    await idleClosed;
    const { text, closed } = await busy;
    assert.deepEqual(bodies(text), ['fast /slow?ms=150'], 'the busy connection gets its answer');
    assert.equal(closed, true, 'and is closed after it');
  });

  it("counts the lane's connections and those it handed off as the server's, until they close", async () => {
    const client = (request: string): Promise<Socket> =>
      new Promise((resolve) => {
        const socket = connect(h.port, '127.0.0.1', () => socket.write(request));
        socket.once('data', () => resolve(socket));
      });
    const kept = await client(get('/kept'));
    const handedOff = await client('HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n');
    assert.equal(await count(h.counters.handoffs), 1);
    assert.equal(await new Promise((resolve) => h.lane.server.getConnections((_error, n) => resolve(n))), 2);
    let closed = false;
    h.lane.server.close(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(closed, false, 'close waits for open connections');
    kept.destroy();
    handedOff.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(closed, true, 'and completes once they closed');
  });
});
