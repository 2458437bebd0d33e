import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, uniquePrefix } from '@crypto-predict/core/testing';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildApi, type ApiApp } from '../src/app.js';
import { loadApiConfig, rateLimitKeyPrefix } from '../src/config.js';
import { MemoryKeys, MemoryStore, samplePrediction, T0 } from '../src/test-support/fakes.js';
import { deleteKeys, PrivateRedis, stackRedisUrl } from './support/redis.js';

interface Instance {
  app: ApiApp;
  registry: Registry;
  logs: string[];
}

/** One API instance over the given keys; the rate-limit settings come from `env`. */
async function instance(keys: MemoryKeys, env: Record<string, string>): Promise<Instance> {
  const store = new MemoryStore();
  store.predictions = [samplePrediction(1)];
  const registry = new Registry();
  const logs: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => logs.push(line) });
  const app = buildApi(loadApiConfig({ PORT: '0', ...env }), {
    keys,
    store,
    feed: null,
    log,
    registry,
    clock: () => T0,
  });
  await app.start();
  return { app, registry, logs };
}

const LATEST = '/v1/predictions/latest?pair=BTC/USDT&horizon=5';

async function get(app: ApiApp, key: string): Promise<Response> {
  const response = await fetch(`${app.url}${LATEST}`, { headers: { 'x-api-key': key } });
  await response.arrayBuffer();
  return response;
}

/** A metric's value, summed over the series whose labels start with `labels` (all of them by default). */
async function metric(registry: Registry, name: string, labels = ''): Promise<number> {
  const text = await registry.metrics();
  return text
    .split('\n')
    .filter((row) => row.startsWith(`${name} `) || row.startsWith(`${name}{${labels}`))
    .reduce((sum, row) => sum + Number(row.split(' ').at(-1)), 0);
}

describe('rate limits shared by two API instances through Redis', { timeout: 60_000 }, () => {
  const prefix = uniquePrefix();
  const keys = new MemoryKeys();
  const { key } = keys.create('desk');
  // 10 at once, then one every 100 s: no refill worth a token while the test runs. A generous
  // Redis timeout: on a loaded machine a stalled event loop must not turn into memory decisions.
  const limits = { RATE_LIMIT_PER_S: '0.01', RATE_LIMIT_BURST: '10', RATE_LIMIT_REDIS_TIMEOUT_MS: '5000' };
  const instances: Instance[] = [];

  after(async () => {
    await Promise.all(instances.map(({ app }) => app.stop()));
    await deleteKeys(stackRedisUrl(), rateLimitKeyPrefix({ TOPIC_PREFIX: prefix }));
  });

  it('allows one bucket’s worth in all, however the requests are spread over the instances', async () => {
    const env = { ...limits, RATE_LIMIT_STORE: 'redis', REDIS_URL: stackRedisUrl(), TOPIC_PREFIX: prefix };
    const [a, b] = [await instance(keys, env), await instance(keys, env)];
    instances.push(a, b);
    // 30 requests at once, alternating between the two instances.
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => get((i % 2 === 0 ? a : b).app, key)));
    const allowed = responses.filter((response) => response.status === 200);
    const refused = responses.filter((response) => response.status === 429);
    assert.equal(allowed.length, 10, 'the two instances together must allow exactly the burst of one bucket');
    assert.equal(refused.length, 20, 'every other request must get 429');
    assert.deepEqual(
      allowed.map((response) => Number(response.headers.get('ratelimit-remaining'))).sort((x, y) => y - x),
      [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
      'RateLimit-Remaining must count down one shared bucket, each value once',
    );
    for (const response of refused) {
      const retryAfter = Number(response.headers.get('retry-after'));
      assert.ok(
        retryAfter >= 95 && retryAfter <= 100,
        `Retry-After must be the wait for a token at 0.01/s (${retryAfter})`,
      );
      assert.equal(response.headers.get('ratelimit-limit'), '10');
      assert.equal(response.headers.get('ratelimit-remaining'), '0');
    }
    for (const { registry } of [a, b])
      assert.equal(await metric(registry, 'api_rate_limit_fallbacks_total'), 0, 'no decision may have fallen back');
  });

  it('(control) allows a bucket per instance with the memory store', async () => {
    const env = { ...limits, RATE_LIMIT_STORE: 'memory' };
    const [a, b] = [await instance(keys, env), await instance(keys, env)];
    instances.push(a, b);
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => get((i % 2 === 0 ? a : b).app, key)));
    assert.equal(responses.filter((response) => response.status === 200).length, 20, 'each instance has its own 10');
  });
});

describe('rate limits when Redis is down, slow, then back', { timeout: 60_000 }, () => {
  let redis: PrivateRedis;
  let api: Instance;
  const keys = new MemoryKeys();
  const { key } = keys.create('desk');

  before(async () => {
    redis = await PrivateRedis.start();
    api = await instance(keys, {
      RATE_LIMIT_PER_S: '0.01',
      RATE_LIMIT_BURST: '3',
      RATE_LIMIT_STORE: 'redis',
      REDIS_URL: redis.url,
      RATE_LIMIT_REDIS_TIMEOUT_MS: '250',
    });
  });
  after(async () => {
    await api.app.stop();
    await redis.stop();
  });

  const statuses = async (count: number): Promise<number[]> => {
    const result: number[] = [];
    for (let i = 0; i < count; i += 1) result.push((await get(api.app, key)).status);
    return result;
  };

  it('fails open to a memory bucket of the same size, counts it, logs it, and goes back to Redis', async () => {
    assert.deepEqual(await statuses(4), [200, 200, 200, 429], 'with Redis up: the burst, then 429');
    assert.equal(await metric(api.registry, 'api_rate_limit_store_up'), 1);

    await redis.stop();
    assert.deepEqual(
      await statuses(4),
      [200, 200, 200, 429],
      'with Redis down every request is still answered, limited by a fresh memory bucket of the same size',
    );
    assert.equal(await metric(api.registry, 'api_rate_limit_store_up'), 0, 'the store must be reported down');
    assert.equal(
      await metric(api.registry, 'api_rate_limit_fallbacks_total'),
      4,
      'every decision taken without Redis must be counted',
    );
    assert.ok(
      api.logs.some(
        (line) => line.includes('"level":50') && line.includes('fail open to a per-instance memory bucket'),
      ),
      'losing Redis must be logged as an error, once',
    );
    assert.equal(api.logs.filter((line) => line.includes('fail open')).length, 1, 'logged once, not per request');

    await redis.resume();
    await eventually('rate limits decided by Redis again', async () =>
      (await metric(api.registry, 'api_rate_limit_store_up')) === 1 ? true : undefined,
    );
    const client = new Redis(redis.url);
    try {
      // The restarted Redis is empty: the key starts a fresh bucket there.
      assert.deepEqual(await statuses(4), [200, 200, 200, 429]);
      assert.equal(Number(await client.hget('predictions-api:ratelimit:1', 'tokens')) < 1, true, 'Redis holds it');
    } finally {
      client.disconnect();
    }
    assert.ok(
      api.logs.some((line) => line.includes('Redis answers again')),
      'the recovery must be logged',
    );
  });

  it('answers from memory, without waiting, when Redis is slower than RATE_LIMIT_REDIS_TIMEOUT_MS', async () => {
    const client = new Redis(redis.url, { enableOfflineQueue: true });
    try {
      const before = await metric(api.registry, 'api_rate_limit_fallbacks_total', 'reason="timeout"');
      const sleeping = client.call('DEBUG', 'SLEEP', '2');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = performance.now();
      const response = await get(api.app, key);
      const elapsed = performance.now() - started;
      await sleeping;
      assert.ok([200, 429].includes(response.status), `a decision, not an error (${response.status})`);
      assert.ok(elapsed < 1_500, `the answer must not wait for Redis (${Math.round(elapsed)} ms)`);
      assert.equal(
        await metric(api.registry, 'api_rate_limit_fallbacks_total', 'reason="timeout"'),
        before + 1,
        'the timed-out call must be counted',
      );
    } finally {
      client.disconnect();
    }
  });
});

describe('an API started while Redis is down', { timeout: 60_000 }, () => {
  it('starts, limits in memory, and shares the bucket once Redis is up', async () => {
    const redis = await PrivateRedis.start();
    await redis.stop();
    const keys = new MemoryKeys();
    const { key } = keys.create('desk');
    const api = await instance(keys, {
      RATE_LIMIT_PER_S: '0.01',
      RATE_LIMIT_BURST: '2',
      RATE_LIMIT_STORE: 'redis',
      REDIS_URL: redis.url,
    });
    try {
      assert.equal(await metric(api.registry, 'api_rate_limit_store_up'), 0, 'Redis must be reported down at start');
      assert.ok(
        api.logs.some((line) => line.includes('fail open')),
        'starting without Redis must be logged',
      );
      assert.deepEqual(
        [(await get(api.app, key)).status, (await get(api.app, key)).status, (await get(api.app, key)).status],
        [200, 200, 429],
        'the memory bucket limits meanwhile',
      );
      await redis.resume();
      await eventually('the client to connect once Redis is up', async () =>
        (await metric(api.registry, 'api_rate_limit_store_up')) === 1 ? true : undefined,
      );
      assert.equal((await get(api.app, key)).status, 200, 'a fresh shared bucket in the new Redis');
      const client = new Redis(redis.url);
      try {
        assert.equal(await client.exists('predictions-api:ratelimit:1'), 1, 'the bucket must be in Redis');
      } finally {
        client.disconnect();
      }
    } finally {
      await api.app.stop();
      await redis.stop();
    }
  });
});
