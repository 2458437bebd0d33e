import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, createLogger, NewsItem } from '@crypto-predict/core';
import type { Clock } from '../src/adapters/clock.js';
import { cryptoPanicPoll } from '../src/adapters/sources/cryptopanic-source.js';
import { newsApiPoll } from '../src/adapters/sources/newsapi-source.js';
import { PollingSource } from '../src/adapters/sources/polling-source.js';
import { rssPoll } from '../src/adapters/sources/rss-source.js';
import { NewsDeduper } from '../src/domain/dedupe.js';
import { fixture, json, startFixtureServer, type Handler } from './http-fixture-server.js';

const log = createLogger('test', 'silent');
const NOW = Date.UTC(2025, 10, 17, 19, 0);

/** A clock whose sleeps return at once but are recorded, and that stops the source after `polls`. */
function recordingClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, now: () => NOW, sleep: (ms) => (sleeps.push(ms), Promise.resolve()) };
}

describe('CryptoPanic connector (local server speaking /api/v1/posts/)', () => {
  it('sends the token, follows `next`, maps posts; a later poll stops at posts already seen', async () => {
    // Page 1's `next` points back at this server, as CryptoPanic's points at itself.
    const page1: Handler = (request, _body, response) =>
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          fixture('cryptopanic-page1.json').replace('https://cryptopanic.com', `http://${request.headers.host ?? ''}`),
        );
    const page2 = fixture('cryptopanic-page2.json').replace(/"next": "[^"]*"/, '"next": null');
    const server = await startFixtureServer([page1, json(200, page2), page1]);
    try {
      const poll = cryptoPanicPoll({
        url: `${server.url}/api/v1/posts/`,
        token: 'TOKEN',
        timeoutMs: 2_000,
        clock: recordingClock(),
      });
      const first = await poll(new AbortController().signal);
      assert.equal(first.length, 3, 'two pages of posts');
      assert.ok(
        first.every((item) => NewsItem.safeParse(item).success),
        'every post becomes a valid NewsItem',
      );
      const request = new URL(server.requests[0]?.url ?? '', server.url);
      assert.equal(request.searchParams.get('auth_token'), 'TOKEN');
      assert.equal(request.searchParams.get('public'), 'true');
      assert.equal(
        new URL(server.requests[1]?.url ?? '', server.url).searchParams.get('page'),
        '2',
        '`next` was followed',
      );
      const second = await poll(new AbortController().signal);
      assert.equal(server.requests.length, 3, 'the second poll stops at the first page: its posts were seen');
      const deduper = new NewsDeduper();
      const fresh = [...first, ...second].filter((item) => deduper.admit(item));
      assert.equal(fresh.length, 3, 'repeats are dropped by URL/title');
    } finally {
      await server.close();
    }
  });

  it('waits out Retry-After on 429, then polls again', async () => {
    const page = fixture('cryptopanic-page2.json').replace(/"next": "[^"]*"/, '"next": null');
    const server = await startFixtureServer([
      json(429, { detail: 'Request was throttled.' }, { 'retry-after': '7' }),
      json(200, page),
    ]);
    const clock = recordingClock();
    const abort = new AbortController();
    const received: NewsItem[] = [];
    const source = new PollingSource(
      'cryptopanic',
      cryptoPanicPoll({ url: `${server.url}/api/v1/posts/`, token: 'T', timeoutMs: 2_000, clock }),
      { intervalMs: 60_000 },
      { clock, log },
    );
    try {
      await source.run((items) => {
        received.push(...items);
        abort.abort();
        return Promise.resolve();
      }, abort.signal);
      assert.equal(clock.sleeps[0], 7_000, 'the first wait is the Retry-After');
      assert.equal(received.length, 1, 'the poll after the rate limit delivers');
    } finally {
      await server.close();
    }
  });

  it('stops with UNAUTHORIZED on a bad token instead of hammering the API', async () => {
    const server = await startFixtureServer([json(401, { status: 'Incorrect auth_token' })]);
    const clock = recordingClock();
    const source = new PollingSource(
      'cryptopanic',
      cryptoPanicPoll({ url: `${server.url}/api/v1/posts/`, token: 'bad', timeoutMs: 2_000, clock }),
      { intervalMs: 1_000 },
      { clock, log },
    );
    try {
      await assert.rejects(
        source.run(() => Promise.resolve(), new AbortController().signal),
        (error: unknown) => error instanceof AppError && error.code === 'UNAUTHORIZED',
      );
      assert.equal(server.requests.length, 1, 'no retry with a bad key');
    } finally {
      await server.close();
    }
  });
});

describe('NewsAPI connector (local server speaking /v2/everything)', () => {
  it('queries with the key and maps articles', async () => {
    const server = await startFixtureServer([json(200, fixture('newsapi-everything.json'))]);
    try {
      const poll = newsApiPoll({
        url: `${server.url}/v2/everything`,
        apiKey: 'KEY',
        query: 'bitcoin OR ethereum',
        timeoutMs: 2_000,
        clock: recordingClock(),
      });
      const items = await poll(new AbortController().signal);
      assert.equal(items.length, 2, 'the removed article is skipped');
      const request = new URL(server.requests[0]?.url ?? '', server.url);
      assert.equal(request.pathname, '/v2/everything');
      assert.equal(request.searchParams.get('apiKey'), 'KEY');
      assert.equal(request.searchParams.get('q'), 'bitcoin OR ethereum');
      assert.equal(request.searchParams.get('sortBy'), 'publishedAt');
    } finally {
      await server.close();
    }
  });

  it('maps its error bodies: rateLimited → RATE_LIMITED, apiKeyInvalid → UNAUTHORIZED', async () => {
    const server = await startFixtureServer([
      json(429, { status: 'error', code: 'rateLimited', message: 'You have been rate limited.' }),
      json(401, { status: 'error', code: 'apiKeyInvalid', message: 'Your API key is invalid.' }),
    ]);
    try {
      const poll = newsApiPoll({
        url: `${server.url}/v2/everything`,
        apiKey: 'KEY',
        query: 'q',
        timeoutMs: 2_000,
        clock: recordingClock(),
      });
      await assert.rejects(
        poll(new AbortController().signal),
        (error: unknown) => error instanceof AppError && error.code === 'RATE_LIMITED' && error.retryable,
      );
      await assert.rejects(
        poll(new AbortController().signal),
        (error: unknown) => error instanceof AppError && error.code === 'UNAUTHORIZED' && !error.retryable,
      );
    } finally {
      await server.close();
    }
  });
});

describe('RSS/Atom connector (local server serving feeds)', () => {
  it('reads RSS 2.0, then uses the ETag and takes a 304 as nothing new', async () => {
    const server = await startFixtureServer([
      (_request, _body, response) =>
        response
          .writeHead(200, { 'content-type': 'application/rss+xml', etag: '"v1"' })
          .end(fixture('coindesk-rss.xml')),
      (request, _body, response) => {
        if (request.headers['if-none-match'] === '"v1"') response.writeHead(304).end();
        else response.writeHead(200, { etag: '"v1"' }).end(fixture('coindesk-rss.xml'));
      },
    ]);
    try {
      const poll = rssPoll({ url: `${server.url}/arc/outboundfeeds/rss/`, timeoutMs: 2_000, clock: recordingClock() });
      const first = await poll(new AbortController().signal);
      assert.equal(first.length, 2);
      assert.equal(first[0]?.source, 'rss:127.0.0.1');
      const second = await poll(new AbortController().signal);
      assert.equal(second.length, 0, 'unchanged feed: 304, no items');
      assert.equal(server.requests[1]?.headers['if-none-match'], '"v1"', 'conditional GET sent');
    } finally {
      await server.close();
    }
  });

  it('reads Atom and backs off on server errors', async () => {
    const server = await startFixtureServer([
      (_request, _body, response) => response.writeHead(503).end('busy'),
      (_request, _body, response) =>
        response.writeHead(200, { 'content-type': 'application/atom+xml' }).end(fixture('decrypt-atom.xml')),
    ]);
    const clock = recordingClock();
    const abort = new AbortController();
    const received: NewsItem[] = [];
    const source = new PollingSource(
      'rss:decrypt',
      rssPoll({ url: `${server.url}/feed`, timeoutMs: 2_000, clock }),
      { intervalMs: 300_000, backoffBaseMs: 1_000 },
      { clock, log, random: () => 0.5 },
    );
    try {
      await source.run((items) => {
        received.push(...items);
        abort.abort();
        return Promise.resolve();
      }, abort.signal);
      assert.equal(clock.sleeps[0], 750, 'a 503 backs off (half the ceiling plus jitter), not the full poll interval');
      assert.equal(received.length, 1);
      assert.equal(received[0]?.title, 'Cardano Founder Denies Rug Pull Claims');
    } finally {
      await server.close();
    }
  });
});
