import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@crypto-predict/core';
import { Registry } from 'prom-client';
import { buildApi, type ApiApp } from './app.js';
import { loadApiConfig } from './config.js';
import { ManualFeed, MemoryKeys, MemoryStore, samplePrediction, T0 } from './test-support/fakes.js';

interface Harness {
  app: ApiApp;
  keys: MemoryKeys;
  store: MemoryStore;
  feed: ManualFeed;
  key: string;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  getJson<T = Record<string, unknown>>(
    path: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T; headers: Headers }>;
}

/** The API on port 0 over in-memory keys and store and a manual feed; tests speak HTTP to it only. */
async function startApi(
  env: Record<string, string> = {},
  seed: (store: MemoryStore) => void = () => undefined,
): Promise<Harness> {
  const keys = new MemoryKeys();
  const store = new MemoryStore();
  seed(store);
  const feed = new ManualFeed();
  const config = loadApiConfig({ PORT: '0', RATE_LIMIT_PER_S: '1000', RATE_LIMIT_BURST: '1000', ...env });
  const app = buildApi(config, {
    keys,
    store,
    feed,
    log: createLogger('test', 'silent'),
    registry: new Registry(),
    clock: () => T0 + 3_600_000,
  });
  await app.start();
  const { key } = keys.create('test');
  const get = (path: string, headers: Record<string, string> = { 'x-api-key': key }) =>
    fetch(`${app.url}${path}`, { headers });
  return {
    app,
    keys,
    store,
    feed,
    key,
    get,
    async getJson<T>(path: string, headers?: Record<string, string>) {
      const response = await get(path, headers);
      return { status: response.status, body: (await response.json()) as T, headers: response.headers };
    },
  };
}

describe('predictions-api over HTTP (in-memory stores)', () => {
  let h: Harness;
  before(async () => {
    h = await startApi({}, (store) => {
      store.predictions = [samplePrediction(1), samplePrediction(2, { horizon: 1 }), samplePrediction(0)];
    });
  });
  after(() => h.app.stop());

  describe('authentication', () => {
    const cases: [string, Record<string, string> | (() => Record<string, string>), RegExp][] = [
      ['no key', {}, /API key is required/],
      ['a malformed key', { 'x-api-key': 'letmein' }, /not valid/],
      ['an unknown key', { authorization: `Bearer cpk_${'A'.repeat(43)}` }, /not valid/],
      ['a Basic Authorization header', { authorization: 'Basic dXNlcjpwYXNz' }, /API key is required/],
    ];
    for (const [what, headers, message] of cases) {
      it(`answers 401 with a JSON error for ${what}`, async () => {
        const response = await h.getJson<{ error: string; message: string }>(
          '/v1/predictions/latest?pair=BTC/USDT',
          typeof headers === 'function' ? headers() : headers,
        );
        assert.equal(response.status, 401);
        assert.equal(response.body.error, 'unauthorized');
        assert.match(response.body.message, message);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer');
      });
    }

    it('answers 401 for a revoked key (after the key cache TTL)', async () => {
      const revoked = await startApi({ KEY_CACHE_TTL_MS: '0' });
      try {
        const { id, key } = revoked.keys.create('leaver');
        revoked.feed.push(samplePrediction(1));
        assert.equal((await revoked.get('/v1/predictions/latest?pair=BTC/USDT', { 'x-api-key': key })).status, 200);
        revoked.keys.revoke(id);
        const response = await revoked.getJson<{ message: string }>('/v1/predictions/latest?pair=BTC/USDT', {
          'x-api-key': key,
        });
        assert.equal(response.status, 401);
        assert.match(response.body.message, /revoked/);
      } finally {
        await revoked.app.stop();
      }
    });

    it('accepts the key as a Bearer token too', async () => {
      const response = await h.get('/v1/pairs', { authorization: `Bearer ${h.key}` });
      assert.equal(response.status, 200);
    });

    it('leaves health, readiness, metrics and docs open', async () => {
      for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) {
        assert.equal((await fetch(`${h.app.url}${path}`)).status, 200, `${path} must answer without a key`);
      }
    });
  });

  describe('rate limiting', () => {
    it('answers 429 with Retry-After and RateLimit headers past the burst', async () => {
      const limited = await startApi({ RATE_LIMIT_PER_S: '0.5', RATE_LIMIT_BURST: '2' });
      try {
        const first = await limited.get('/v1/pairs');
        assert.equal(first.status, 200);
        assert.equal(first.headers.get('ratelimit-limit'), '2');
        assert.equal(first.headers.get('ratelimit-remaining'), '1');
        assert.equal((await limited.get('/v1/pairs')).status, 200);
        const refused = await limited.get('/v1/pairs');
        assert.equal(refused.status, 429, 'the third request in a burst of 2 must be refused');
        assert.deepEqual(await refused.json(), {
          error: 'rate_limited',
          message: 'over the rate limit of this key: retry in 2 s',
        });
        assert.equal(refused.headers.get('retry-after'), '2', 'at 0.5/s a token is back in 2 s');
        assert.equal(refused.headers.get('ratelimit-limit'), '2');
        assert.equal(refused.headers.get('ratelimit-remaining'), '0');
        assert.equal(refused.headers.get('ratelimit-reset'), '4');
        const other = limited.keys.create('other');
        assert.equal(
          (await limited.get('/v1/pairs', { 'x-api-key': other.key })).status,
          200,
          'another key has its own bucket',
        );
      } finally {
        await limited.app.stop();
      }
    });
  });

  describe('GET /v1/predictions/latest', () => {
    it('serves the warmed latest per horizon', async () => {
      const response = await h.getJson<{ pair: string; predictions: { horizon: number; featureTime: number }[] }>(
        '/v1/predictions/latest?pair=BTC/USDT',
      );
      assert.equal(response.status, 200);
      assert.deepEqual(
        response.body.predictions.map((p) => [p.horizon, p.featureTime]),
        [
          [1, samplePrediction(2).featureTime],
          [5, samplePrediction(1).featureTime],
        ],
      );
    });

    it('serves a prediction from the feed as soon as it arrives', async () => {
      h.feed.push(samplePrediction(9));
      const response = await h.getJson<{ predictions: { featureTime: number }[] }>(
        '/v1/predictions/latest?pair=btc-usdt&horizon=5',
      );
      assert.deepEqual(
        response.body.predictions.map((p) => p.featureTime),
        [samplePrediction(9).featureTime],
      );
    });

    it('answers 404 for a pair or horizon with no prediction', async () => {
      assert.equal((await h.get('/v1/predictions/latest?pair=ETH/USDT')).status, 404);
      assert.equal((await h.get('/v1/predictions/latest?pair=BTC/USDT&horizon=60')).status, 404);
    });
  });

  describe('400 for bad parameters', () => {
    const cases: [string, string][] = [
      ['/v1/predictions/latest', 'pair'],
      ['/v1/predictions/latest?pair=BTC', 'pair'],
      ['/v1/predictions/latest?pair=BTC/USDT&horizon=-5', 'horizon'],
      ['/v1/predictions/latest?pair=BTC/USDT&limit=5', 'limit'],
      ['/v1/predictions?pair=BTC/USDT&from=soon', 'from'],
      ['/v1/predictions?pair=BTC/USDT&to=never', 'to'],
      ['/v1/predictions?pair=BTC/USDT&limit=100000', 'limit'],
      ['/v1/predictions?pair=BTC/USDT&cursor=abc', 'cursor'],
      ['/v1/predictions?pair=BTC/USDT&order=sideways', 'order'],
      ['/v1/predictions?horizon=5', 'pair'],
      ['/v1/performance?pair=BTC/USDT&window=1y', 'window'],
      ['/v1/performance?pair=BTC/USDT&horizon=x', 'horizon'],
      ['/v1/pairs?pair=BTC/USDT', 'pair'],
      ['/v1/stream?pair=nope', 'pair'],
    ];
    for (const [path, parameter] of cases) {
      it(`${path} → 400 naming ${parameter}`, async () => {
        const response = await h.getJson<{ error: string; message: string; parameter: string }>(path);
        assert.equal(response.status, 400);
        assert.equal(response.body.error, 'bad_request');
        assert.equal(response.body.parameter, parameter);
        assert.ok(
          response.body.message.startsWith(`${parameter}:`),
          `the message must name ${parameter}: ${response.body.message}`,
        );
      });
    }
  });

  describe('GET /v1/predictions (history)', () => {
    it('pages through every prediction once, in (featureTime, id) order, with the cursor', async () => {
      const paged = await startApi({}, (store) => {
        // 25 predictions over 5 minutes × 5 horizons: ties on featureTime are broken by id.
        for (let minute = 0; minute < 5; minute += 1)
          for (const horizon of [1, 5, 15, 30, 60]) store.predictions.push(samplePrediction(minute, { horizon }));
        store.predictions.push(samplePrediction(2, { pair: 'ETH/USDT' }));
      });
      try {
        for (const order of ['asc', 'desc'] as const) {
          const ids: string[] = [];
          let cursor: string | null = null;
          let pages = 0;
          do {
            const query: string = `/v1/predictions?pair=BTC/USDT&limit=7&order=${order}${cursor === null ? '' : `&cursor=${cursor}`}`;
            const page = await paged.getJson<{
              predictions: { id: string; pair: string }[];
              nextCursor: string | null;
            }>(query);
            assert.equal(page.status, 200);
            assert.ok(
              page.body.predictions.every((p) => p.pair === 'BTC/USDT'),
              'only the asked pair',
            );
            ids.push(...page.body.predictions.map((p) => p.id));
            cursor = page.body.nextCursor;
            pages += 1;
          } while (cursor !== null && pages < 10);
          assert.equal(pages, 4, `25 predictions in pages of 7 make 4 pages (${order})`);
          assert.equal(new Set(ids).size, 25, `every prediction exactly once (${order})`);
          const expected = paged.store.predictions
            .filter((p) => p.pair === 'BTC/USDT')
            .sort((a, b) => a.featureTime - b.featureTime || (a.id < b.id ? -1 : 1))
            .map((p) => p.id);
          assert.deepEqual(ids, order === 'asc' ? expected : expected.reverse(), `(featureTime, id) order (${order})`);
        }
      } finally {
        await paged.app.stop();
      }
    });

    it('filters by horizon and time range', async () => {
      const response = await h.getJson<{ predictions: { featureTime: number; horizon: number }[]; nextCursor: null }>(
        `/v1/predictions?pair=BTC/USDT&horizon=5&from=${samplePrediction(1).featureTime}&to=${samplePrediction(1).featureTime}`,
      );
      assert.deepEqual(
        response.body.predictions.map((p) => [p.horizon, p.featureTime]),
        [[5, samplePrediction(1).featureTime]],
      );
      assert.equal(response.body.nextCursor, null);
    });

    it('answers 503 when the store is down', async () => {
      h.store.down = true;
      try {
        const response = await h.getJson<{ error: string }>('/v1/predictions?pair=BTC/USDT');
        assert.equal(response.status, 503);
        assert.equal(response.body.error, 'unavailable');
      } finally {
        h.store.down = false;
      }
    });
  });

  describe('GET /v1/performance', () => {
    it('turns error sums into metrics over the asked window', async () => {
      h.store.sums = [
        {
          horizon: 5,
          count: 2,
          sumAbsError: 30,
          sumSquaredError: 500,
          directionKnown: 2,
          directionCorrect: 1,
          intervalKnown: 2,
          inInterval: 2,
          naiveCount: 2,
          sumNaiveAbsError: 40,
          sumNaiveSquaredError: 800,
        },
      ];
      const response = await h.getJson<{
        window: string;
        from: number;
        to: number;
        horizons: Record<string, unknown>[];
      }>('/v1/performance?pair=BTC/USDT&window=2h');
      assert.equal(response.status, 200);
      assert.equal(response.body.window, '2h');
      assert.equal(response.body.to - response.body.from, 2 * 3_600_000);
      assert.deepEqual(response.body.horizons[0], {
        horizon: 5,
        count: 2,
        mae: 15,
        rmse: Math.sqrt(250),
        directionalAccuracy: 0.5,
        coverage: 1,
        naive: { count: 2, mae: 20, rmse: 20 },
        maeRatioVsNaive: 0.75,
      });
      assert.equal(response.body.to, T0 + 3_600_000, 'with no scored prediction the window ends at the clock');
    });

    it('ends the window at the newest scored prediction, so a replay reports its own last hours', async () => {
      h.store.newestTarget = T0 - 86_400_000;
      const response = await h.getJson<{ from: number; to: number }>('/v1/performance?pair=BTC/USDT&window=1h');
      assert.equal(response.status, 200);
      assert.equal(response.body.to, T0 - 86_400_000, 'the window ends at the newest scored target time');
      assert.equal(response.body.from, T0 - 86_400_000 - 3_600_000);
      assert.deepEqual(h.store.lastErrorRequest, {
        pair: 'BTC/USDT',
        horizon: undefined,
        from: response.body.from,
        to: response.body.to,
      });
    });
  });

  describe('GET /v1/pairs, /openapi.json, /docs', () => {
    it('lists pairs with horizons', async () => {
      const response = await h.getJson<{ pairs: { pair: string; horizons: number[] }[] }>('/v1/pairs');
      assert.deepEqual(
        response.body.pairs.map((p) => [p.pair, p.horizons]),
        [['BTC/USDT', [1, 5]]],
      );
    });

    it('describes every /v1 endpoint in OpenAPI 3', async () => {
      const doc = (await (await fetch(`${h.app.url}/openapi.json`)).json()) as {
        openapi: string;
        paths: Record<string, unknown>;
      };
      assert.match(doc.openapi, /^3\./);
      for (const path of ['/v1/predictions/latest', '/v1/predictions', '/v1/performance', '/v1/pairs', '/v1/stream'])
        assert.ok(path in doc.paths, `${path} must be documented`);
      const docs = await fetch(`${h.app.url}/docs`);
      assert.match(docs.headers.get('content-type') ?? '', /text\/html/);
    });

    it('answers 404 for an unknown path and 405 for another method', async () => {
      assert.equal((await h.get('/v2/nothing')).status, 404);
      assert.equal(
        (await fetch(`${h.app.url}/v1/pairs`, { method: 'POST', headers: { 'x-api-key': h.key } })).status,
        405,
      );
    });
  });

  describe('GET /v1/stream', () => {
    it('sends the latest snapshot, then every new prediction of the pair, as server-sent events', async () => {
      const controller = new AbortController();
      const response = await fetch(`${h.app.url}/v1/stream?pair=BTC/USDT&horizon=5`, {
        headers: { 'x-api-key': h.key },
        signal: controller.signal,
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
      const reader = response.body?.getReader();
      assert.ok(reader !== undefined);
      const decoder = new TextDecoder();
      let text = '';
      const readUntil = async (pattern: RegExp): Promise<void> => {
        while (!pattern.test(text)) {
          const chunk = (await reader.read()) as { done: boolean; value?: Uint8Array };
          if (chunk.done) throw new Error(`stream ended before ${pattern.source}`);
          text += decoder.decode(chunk.value);
        }
      };
      await readUntil(/event: prediction\n/);
      const pushed = samplePrediction(30);
      h.feed.push(samplePrediction(31, { pair: 'ETH/USDT' })); // another pair: not sent
      h.feed.push(pushed);
      await readUntil(new RegExp(`id: ${pushed.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`));
      const events = text.split('\n\n').filter((frame) => frame.includes('event: prediction'));
      const data = events.map(
        (frame) => JSON.parse(frame.split('\ndata: ')[1] ?? 'null') as { pair: string; featureTime: number },
      );
      assert.ok(
        data.every((p) => p.pair === 'BTC/USDT'),
        'only the asked pair may be streamed',
      );
      assert.equal(data.at(-1)?.featureTime, pushed.featureTime, 'the pushed prediction must arrive');
      controller.abort();
    });
  });
});
