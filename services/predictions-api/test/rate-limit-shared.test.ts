import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, seededRandom, uniquePrefix } from '@crypto-predict/core/testing';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import { RedisRateLimiter, type LeaseOptions } from '../src/adapters/redis-rate-limiter.js';
import { buildApi, type ApiApp } from '../src/app.js';
import { loadApiConfig, rateLimitKeyPrefix } from '../src/config.js';
import type { RateDecision } from '../src/domain/token-bucket.js';
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

describe('token leases: most takes decided at once, the shared limit kept', { timeout: 60_000 }, () => {
  const prefix = `${uniquePrefix()}:`;
  const limiters: RedisRateLimiter[] = [];

  /** A limiter on the stack's Redis, as an API instance makes it (its own metrics). */
  async function limiter(perSecond: number, burst: number, lease: Partial<LeaseOptions> = {}) {
    const registry = new Registry();
    const made = new RedisRateLimiter({
      url: stackRedisUrl(),
      keyPrefix: prefix,
      perSecond,
      burst,
      // Generous: on a loaded machine a stalled event loop must not turn into memory decisions.
      timeoutMs: 5_000,
      log: pino({ level: 'silent' }),
      metrics: {
        fallbacks: new Counter({ name: 'fallbacks', help: 'h', labelNames: ['reason'], registers: [registry] }),
        up: new Gauge({ name: 'up', help: 'h', registers: [registry] }),
      },
      lease,
    });
    await made.start();
    limiters.push(made);
    return { limiter: made, registry };
  }

  after(async () => {
    await Promise.all(limiters.map((made) => made.stop()));
    await deleteKeys(stackRedisUrl(), prefix);
  });

  it('answers from the lease without a promise once a call has leased, counting one bucket down', async () => {
    // A fresh bucket of 1000 (Redis makes it full at the first call); the lease is 100 tokens.
    const { limiter: a } = await limiter(1_000, 1_000, { ms: 5_000, max: 100 });
    const first = a.take(1);
    assert.ok(first instanceof Promise, 'the first take must go to Redis');
    const decisions: RateDecision[] = [await first];
    for (let i = 0; i < 100; i += 1) {
      const taken = a.take(1);
      assert.ok(!(taken instanceof Promise), `take ${i + 2} must be served from the lease, synchronously`);
      decisions.push(taken);
    }
    assert.ok(a.take(1) instanceof Promise, 'once the lease is used up, the next take goes to Redis');
    assert.deepEqual(
      decisions.map((decision) => decision.remaining),
      Array.from({ length: 101 }, (_, i) => 999 - i),
      'RateLimit-Remaining must count down as one bucket taken one request at a time',
    );
    assert.ok(decisions.every((decision) => decision.allowed));
  });

  it('tops the lease up in the background, so that a key busy below its rate never waits for Redis', async () => {
    // 25 takes every 50 ms (500/s) on a 1000/s key: each turn leaves the 100-token lease at half or
    // less at least every other turn, and the top-up sent after that turn lands long before the lease runs out.
    const { limiter: a } = await limiter(1_000, 1_000, { ms: 5_000, max: 100 });
    await a.take(4);
    const decisions: RateDecision[] = [];
    let waited = 0;
    for (let turn = 0; turn < 12; turn += 1) {
      for (let i = 0; i < 25; i += 1) {
        const taken = a.take(4);
        if (taken instanceof Promise) waited += 1;
        else decisions.push(taken);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(waited, 0, 'every take after the first must have been served from the lease');
    assert.equal(decisions.length, 300);
    assert.ok(decisions.every((decision) => decision.allowed));
  });

  it('stops serving a lease once it expires', async () => {
    const { limiter: a } = await limiter(1_000, 1_000, { ms: 50 });
    await a.take(2);
    assert.ok(!(a.take(2) instanceof Promise), 'within the lease: synchronous');
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.ok(a.take(2) instanceof Promise, 'after 50 ms the leased tokens must not be used: the take goes to Redis');
  });

  it('never allows more across two instances than one bucket, with random bursts on both', async () => {
    // Leases of up to 10 tokens (100/s over 100 ms).
    const perSecond = 100;
    const burst = 30;
    const [a, b] = [await limiter(perSecond, burst), await limiter(perSecond, burst)];
    const random = seededRandom(20_261_124);
    const keyId = 3;
    const delivered: { at: number; allowed: boolean }[] = [];
    const pending: Promise<void>[] = [];
    let synchronous = 0;
    const started = performance.now();
    while (performance.now() - started < 2_000) {
      const side = random() < 0.5 ? a : b;
      const count = 1 + Math.floor(random() * 12);
      for (let i = 0; i < count; i += 1) {
        const taken = side.limiter.take(keyId);
        if (taken instanceof Promise) {
          pending.push(
            taken.then((decision) => {
              delivered.push({ at: performance.now(), allowed: decision.allowed });
            }),
          );
        } else {
          synchronous += 1;
          delivered.push({ at: performance.now(), allowed: taken.allowed });
        }
      }
      // Storms (a burst every few ms) and lulls in which the bucket refills and leases come back.
      const gap = random() < 0.8 ? Math.floor(random() * 10) : 50 + Math.floor(random() * 250);
      await new Promise((resolve) => setTimeout(resolve, gap));
    }
    await Promise.all(pending);
    delivered.sort((x, y) => x.at - y.at);
    // Every token was taken in Redis after `started` and before it was handed out: by any moment, at
    // most the burst plus what refilled since the start may have been allowed (plus 1 ms: the
    // script reads the Redis clock in whole ms, floored, so its first call may be dated up to 1 ms early).
    let allowed = 0;
    for (const { at, allowed: ok } of delivered) {
      if (!ok) continue;
      allowed += 1;
      const bound = burst + (perSecond * (at - started + 1)) / 1000;
      assert.ok(
        allowed <= bound,
        `${allowed} allowed after ${Math.round(at - started)} ms: the bucket allows ${bound}`,
      );
    }
    const refused = delivered.length - allowed;
    assert.ok(synchronous > 20, `leases must have served takes synchronously (${synchronous})`);
    assert.ok(refused > allowed, `the bursts must have gone well over the limit (${refused} refused)`);
    // Leases lose at most what the other instance holds unused at the end (2 × 5 tokens here) and
    // what the bucket refills while a lease is out: far less than the refill over the run.
    const span = (delivered.at(-1)?.at ?? started) - started;
    assert.ok(
      allowed >= burst + (perSecond * span) / 1000 / 2,
      `leases must not starve the key (${allowed} allowed in ${Math.round(span)} ms)`,
    );
    for (const made of [a, b])
      assert.equal(await metric(made.registry, 'fallbacks'), 0, 'no decision may have fallen back to memory');
  });
});
