import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { seededRandom, uniquePrefix } from '@crypto-predict/core/testing';
import { Redis } from 'ioredis';
import { RedisTokenBuckets, TOKEN_BUCKET_SCRIPT } from '../src/adapters/redis-token-bucket.js';
import { TokenBucket, type RateDecision } from '../src/domain/token-bucket.js';
import { deleteKeys, PrivateRedis, stackRedisUrl } from './support/redis.js';

const SHA = createHash('sha1').update(TOKEN_BUCKET_SCRIPT).digest('hex');

/** One request's answer. */
async function one(buckets: RedisTokenBuckets, key: string, now: number | null): Promise<RateDecision> {
  const [decision] = await buckets.take(key, 1, now);
  assert.ok(decision !== undefined, 'one request must get one answer');
  return decision;
}

describe('the token bucket Lua script, in the stack’s Redis', () => {
  const prefix = `${uniquePrefix()}:`;
  let client: Redis;
  let n = 0;
  const fresh = (): string => `${prefix}${(n += 1)}`;

  before(() => {
    client = new Redis(stackRedisUrl());
  });
  after(async () => {
    await deleteKeys(stackRedisUrl(), prefix);
    client.disconnect();
  });

  it('allows a burst, then refuses with the wait until one token is back', async () => {
    const buckets = new RedisTokenBuckets(client, 2, 3);
    const key = fresh();
    const allowed = [];
    for (let i = 0; i < 3; i += 1) allowed.push((await one(buckets, key, 0)).allowed);
    assert.deepEqual(allowed, [true, true, true], 'the full burst must be allowed at once');
    assert.deepEqual(
      await one(buckets, key, 0),
      { allowed: false, limit: 3, remaining: 0, resetSeconds: 2, retryAfterSeconds: 1 },
      'at 2/s one token is back within 1 s and all three within 2 s',
    );
  });

  it('refills at the configured rate, up to the burst', async () => {
    const buckets = new RedisTokenBuckets(client, 10, 5);
    const key = fresh();
    for (let i = 0; i < 5; i += 1) await one(buckets, key, 0);
    assert.equal((await one(buckets, key, 50)).allowed, false, 'half a token after 50 ms at 10/s is not enough');
    assert.equal((await one(buckets, key, 100)).allowed, true, 'one token after 100 ms at 10/s');
    assert.equal((await one(buckets, key, 60_000)).remaining, 4, 'the bucket never holds more than the burst');
  });

  it('says how long until a refused caller may retry at a slow rate', async () => {
    const buckets = new RedisTokenBuckets(client, 0.1, 1);
    const key = fresh();
    await one(buckets, key, 0);
    assert.equal((await one(buckets, key, 0)).retryAfterSeconds, 10, 'at 0.1/s a token takes 10 s');
  });

  it('decides exactly as the memory bucket over random rates, bursts, request times and batches', async () => {
    const random = seededRandom(20_260_601);
    const runs = Array.from({ length: 24 }, (_, run) => {
      const perSecond = [0.05, 0.5, 1, 3, 20, 250][run % 6] ?? 1;
      const burst = 1 + Math.floor(random() * 20);
      // Gaps of nothing (a burst), a few ms, about one token, many tokens, and a clock going back;
      // mostly one request at a time, sometimes a batch of several at one instant.
      const steps = Array.from({ length: 150 }, () => {
        const pick = random();
        const gap =
          pick < 0.5
            ? 0
            : pick < 0.7
              ? Math.floor(random() * 20)
              : pick < 0.9
                ? Math.floor((random() * 2000) / perSecond)
                : pick < 0.97
                  ? Math.floor((random() * burst * 1000) / perSecond)
                  : -Math.floor(random() * 500);
        const count = random() < 0.85 ? 1 : 2 + Math.floor(random() * 5);
        return { gap, count };
      });
      return { perSecond, burst, steps };
    });
    const outcomes = await Promise.all(
      runs.map(async ({ perSecond, burst, steps }, run) => {
        const key = fresh();
        const shared = new RedisTokenBuckets(client, perSecond, burst);
        let now = 1_767_225_600_000 + run;
        // Both buckets come to be at their first request, as TokenBuckets makes them.
        let memory: TokenBucket | null = null;
        const expected: RateDecision[] = [];
        const actual: RateDecision[] = [];
        for (const { gap, count } of steps) {
          now += gap;
          memory ??= new TokenBucket(perSecond, burst, now);
          for (let i = 0; i < count; i += 1) expected.push(memory.take(now));
          actual.push(...(await shared.take(key, count, now)));
        }
        assert.deepEqual(actual, expected, `rate ${perSecond}/s, burst ${burst}: every decision and header must match`);
        return expected.map((decision) => decision.allowed);
      }),
    );
    const allowed = outcomes.flat().filter(Boolean).length;
    const total = outcomes.flat().length;
    assert.ok(
      allowed > total / 5 && allowed < (total * 4) / 5,
      `the sequences must both allow and refuse often to test anything (${allowed} of ${total} allowed)`,
    );
  });

  it('leases at most 1/share of what the takes leave, shrinking to 0 as the bucket nears empty', async () => {
    const buckets = new RedisTokenBuckets(client, 1, 40);
    const key = fresh();
    const lease = { want: 10, share: 4, back: 0 };
    // No time passes (now = 0): nothing refills. Hand-computed: 40 - 1 = 39 left, floor(39 / 4) = 9.
    const first = await buckets.takeAndLease(key, 1, lease, 0);
    assert.deepEqual([first.leased, first.left, first.decisions.map((d) => d.remaining)], [9, 30, [39]]);
    const second = await buckets.takeAndLease(key, 2, lease, 0);
    assert.deepEqual([second.leased, second.left], [7, 21], '30 - 2 = 28 left, floor(28 / 4) = 7');
    const leased: number[] = [];
    const allowed: boolean[] = [];
    for (let i = 0; i < 10; i += 1) {
      const answer = await buckets.takeAndLease(key, 1, lease, 0);
      leased.push(answer.leased);
      allowed.push(answer.decisions[0]?.allowed === true);
      assert.equal(Number(await client.hget(key, 'tokens')), answer.left, 'the bucket must hold what the answer says');
    }
    assert.deepEqual(leased, [5, 3, 2, 1, 1, 0, 0, 0, 0, 0], 'no lease once fewer than 4 tokens would be left');
    assert.deepEqual(allowed, [true, true, true, true, true, true, true, true, true, false]);
    const capped = await buckets.takeAndLease(fresh(), 1, { want: 3, share: 1, back: 0 }, 0);
    assert.deepEqual([capped.leased, capped.left], [3, 36], 'never more than asked for');
  });

  it('takes back the unused tokens of an expired lease, up to the burst', async () => {
    const buckets = new RedisTokenBuckets(client, 1, 10);
    const key = fresh();
    const leased = await buckets.takeAndLease(key, 1, { want: 4, share: 1, back: 0 }, 0);
    assert.deepEqual([leased.leased, leased.left], [4, 5]);
    const back = await buckets.takeAndLease(key, 1, { want: 0, share: 1, back: 3 }, 0);
    assert.deepEqual([back.decisions[0]?.remaining, back.left], [7, 7], '5 + 3 given back, then one taken');
    const over = await buckets.takeAndLease(key, 1, { want: 0, share: 1, back: 50 }, 0);
    assert.deepEqual([over.decisions[0]?.remaining, over.left], [9, 9], 'never more than the burst');
  });

  it('lets an idle bucket expire once it would be full again', async () => {
    const buckets = new RedisTokenBuckets(client, 2, 3);
    const key = fresh();
    await one(buckets, key, 0);
    const ttl = await client.pttl(key);
    // Two tokens left at 2/s: full again after 500 ms; the key lives that long plus a second.
    assert.ok(ttl > 1_000 && ttl <= 1_500, `the bucket must expire 1.5 s after its last use (PTTL ${ttl})`);
    const memory = new TokenBucket(2, 3, 0);
    memory.take(0);
    assert.ok(memory.isFull(500), 'when it expires, the memory bucket would be full too');
  });

  it('uses the Redis server’s clock when no time is given', async () => {
    const buckets = new RedisTokenBuckets(client, 0.001, 2);
    const key = fresh();
    const decisions = [];
    for (let i = 0; i < 3; i += 1) decisions.push((await one(buckets, key, null)).allowed);
    assert.deepEqual(decisions, [true, true, false]);
    const at = Number(await client.hget(key, 'at'));
    assert.ok(Math.abs(at - Date.now()) < 5_000, `the bucket's time must be the server's clock in ms (${at})`);
  });
});

describe('the token bucket script cache (EVALSHA, falling back to EVAL)', () => {
  let redis: PrivateRedis;
  let client: Redis;

  before(async () => {
    redis = await PrivateRedis.start();
    client = new Redis(redis.url);
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  it('sends the script once after Redis has forgotten it, then calls it by SHA', async () => {
    const buckets = new RedisTokenBuckets(client, 1, 5);
    await client.script('FLUSH');
    await client.config('RESETSTAT');
    assert.deepEqual(await client.script('EXISTS', SHA), [0], 'the script must be unknown after SCRIPT FLUSH');
    assert.equal((await one(buckets, 'k', 0)).remaining, 4, 'the first call must work through EVAL');
    assert.deepEqual(await client.script('EXISTS', SHA), [1], 'EVAL must have cached the script');
    assert.equal((await one(buckets, 'k', 0)).remaining, 3);
    assert.equal((await one(buckets, 'k', 0)).remaining, 2);
    const stats = await client.info('commandstats');
    const calls = (command: string): number =>
      Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    assert.equal(calls('eval'), 1, 'EVAL only once, for the call that found the script missing');
    assert.ok(calls('evalsha') >= 2, 'the later calls must go by SHA');
  });
});
