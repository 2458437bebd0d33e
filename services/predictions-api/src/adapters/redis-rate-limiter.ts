import { describeError, type Logger } from '@crypto-predict/core';
import { Redis } from 'ioredis';
import type { Counter, Gauge } from 'prom-client';
import { takeOne, type RateDecision } from '../domain/token-bucket.js';
import { MemoryRateLimiter, type RateLimiter } from './rate-limiter.js';
import { RedisTokenBuckets, type LeaseRequest, type TakeAnswer } from './redis-token-bucket.js';

export interface RedisRateLimiterOptions {
  url: string;
  /** Prepended to every bucket key (`<prefix>ratelimit:<key id>`), so deployments can share a Redis. */
  keyPrefix: string;
  perSecond: number;
  burst: number;
  /** A call that takes longer is decided by the memory bucket instead. */
  timeoutMs: number;
  log: Logger;
  metrics: {
    /** Decisions taken without Redis, by reason: unavailable, timeout, error. */
    fallbacks: Counter<'reason'>;
    /** 1 while Redis answers, 0 while decisions fall back to memory. */
    up: Gauge;
  };
  clock?: () => number;
  /** Token leases (see `TokenLeases`); the defaults suit one to a few instances. */
  lease?: Partial<LeaseOptions>;
}

export interface LeaseOptions {
  /** How long leased tokens may be handed out after the call that took them was sent. */
  ms: number;
  /** The most tokens one lease holds. */
  max: number;
  /** How many instances share a bucket: each lease is at most 1/(2 × instances) of what is left. */
  instances: number;
  /** A monotonic clock in ms (performance.now): lease expiry must not follow wall-clock jumps. */
  now: () => number;
}

// `max` only matters for keys refilling over 100,000 tokens a second: what bounds a lease is `ms`.
export const DEFAULT_LEASE: LeaseOptions = { ms: 100, max: 10_000, instances: 2, now: () => performance.now() };

interface KeyLease {
  /** Leased tokens not handed out yet. */
  unused: number;
  /** The bucket's tokens after the call that took the lease, as Redis answered. */
  left: number;
  /** When the unused tokens stop being handed out (the lease clock). */
  expiresAt: number;
  /** Calls to Redis for this key not answered yet. */
  inFlight: number;
}

/**
 * Tokens an instance took from a shared bucket ahead of its requests, per key, so that most takes
 * of a busy key are decided at once, without a round trip to Redis.
 *
 * A call to Redis for a key with no other call in flight may ask for a lease (how many: below), which
 * the script takes in the same atomic step as the call's takes, bounded by floor(tokens left after
 * the takes / (2 × instances)); `size` = min(max, floor(rate × ms)). The key's next requests on
 * this instance take from the lease, synchronously. Leased tokens are handed out until `ms` have
 * passed since the send of the last call that leased; the unused tokens of an expired lease are
 * given back to the bucket (up to its burst) by the key's next call. So that a steadily busy key
 * never waits for Redis, a take calls in the background (`topUpDue`) when its lease runs low on
 * either:
 * - tokens: it left half a lease or less, and the call leases `size` more;
 * - time: half of `ms` has passed since the lease's call was sent, and the call leases what tops
 *   the lease back up to `size` (the tokens used since), moving the expiry of all of it. Without
 *   this, a key using less than half a lease per `ms` reached its expiry with tokens unused, and
 *   its requests then waited for a round trip to Redis every `ms` or two (one instance taking
 *   55,000 tokens a second for 3 s from the local Redis: 524 takes waited before, 55 after, all
 *   of them before the first lease).
 * An instance so holds at most `size` + floor(`size` / 2) tokens of a key at a time (`held` below).
 *
 * What it guarantees, with N instances on a bucket of `burst` tokens refilled at `rate`:
 * - Every allowed request spent one token that the Redis script took from the bucket. From a full
 *   bucket with no lease out, no more than burst + rate × T requests are allowed in T, as with no
 *   lease. Over any window of T, at most burst + rate × T + N × held: the bucket may refill while
 *   tokens sit in leases.
 * - A refusal may come early only by the tokens other instances hold unused: at most (N − 1) × held
 *   at any time. A lease is at most 1/(2 × instances) of what is left, so it shrinks to 0 as the
 *   bucket empties: none is taken once fewer than 2 × instances tokens would be left. Unused tokens
 *   come back to the bucket (given back, or refilled: size ≤ rate × ms) within about `ms` of expiring.
 * - With rate × ms < 1 (a slow key) there is no lease at all: every take goes to Redis, exactly.
 *
 * RateLimit-Remaining for a leased token is the bucket's tokens as Redis last answered plus the lease
 * tokens still unused after this one: the value the request would have got had the whole lease been
 * taken one by one with it (refill since then is not counted).
 */
export class TokenLeases {
  /** The most tokens a lease holds: what the bucket refills in one lease, at most `max`. */
  readonly size: number;
  /** A lease with this many unused tokens or fewer is topped up. */
  private readonly lowWater: number;
  private readonly share: number;
  private readonly leases = new Map<number, KeyLease>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly options: LeaseOptions,
  ) {
    this.size = Math.max(0, Math.min(options.max, Math.floor((perSecond * options.ms) / 1000)));
    this.lowWater = Math.floor(this.size / 2);
    this.share = 2 * Math.max(1, options.instances);
  }

  /** The leases' clock (ms): read once per take, for both take and topUpDue. */
  now(): number {
    return this.options.now();
  }

  /** A decision from the key's lease, or undefined when it has no unused, unexpired token. */
  take(keyId: number, now = this.now()): RateDecision | undefined {
    const lease = this.leases.get(keyId);
    if (lease === undefined || lease.unused === 0 || now >= lease.expiresAt) return undefined;
    const tokens = lease.left + lease.unused;
    lease.unused -= 1;
    return takeOne(tokens, this.perSecond, this.burst).decision;
  }

  /**
   * Whether the key's lease, still valid, runs low (half a lease or less unused, or half its time
   * gone) with no call in flight: a call now (with no take of its own) tops it up before it runs out.
   */
  topUpDue(keyId: number, now = this.now()): boolean {
    const lease = this.leases.get(keyId);
    return lease !== undefined && this.wanted(lease, now) > 0;
  }

  /** The tokens the key's next call asks to lease: none while another call of the key is in flight. */
  private wanted(lease: KeyLease, now: number): number {
    if (lease.inFlight > 0) return 0;
    if (lease.unused <= this.lowWater) return this.size;
    return now >= lease.expiresAt - this.options.ms / 2 ? Math.max(0, this.size - lease.unused) : 0;
  }

  /** Before a call to Redis for the key: what to give back and what lease to ask for. */
  beforeCall(keyId: number): LeaseRequest & { sentAt: number } {
    const sentAt = this.options.now();
    let lease = this.leases.get(keyId);
    if (lease === undefined) {
      if (this.leases.size >= 10_000) this.sweep(sentAt);
      lease = { unused: 0, left: 0, expiresAt: 0, inFlight: 0 };
      this.leases.set(keyId, lease);
    }
    let back = 0;
    if (lease.unused > 0 && sentAt >= lease.expiresAt) {
      back = lease.unused;
      lease.unused = 0;
    }
    const want = this.wanted(lease, sentAt);
    lease.inFlight += 1;
    return { want, share: this.share, back, sentAt };
  }

  /** After the call: the lease it took (null when the call failed: nothing was leased). */
  afterCall(keyId: number, sentAt: number, answer: Pick<TakeAnswer, 'leased' | 'left'> | null): void {
    const lease = this.leases.get(keyId);
    if (lease === undefined) return;
    lease.inFlight -= 1;
    if (answer !== null && answer.leased > 0) {
      // Measured from the send: the tokens were taken after it. A top-up or a renewal carries the
      // tokens still unused along with it: spent while the key stays busy, given back by the key's
      // next call once the lease has expired.
      lease.unused += answer.leased;
      lease.left = answer.left;
      lease.expiresAt = sentAt + this.options.ms;
    }
    if (lease.inFlight === 0 && lease.unused === 0) this.leases.delete(keyId);
  }

  /** Unused leased tokens of a key (expired or not). */
  unused(keyId: number): number {
    return this.leases.get(keyId)?.unused ?? 0;
  }

  /** Forgets expired leases of keys gone quiet: their tokens are lost, which only limits more. */
  private sweep(now: number): void {
    for (const [keyId, lease] of this.leases)
      if (lease.inFlight === 0 && now >= lease.expiresAt) this.leases.delete(keyId);
  }
}

type FallbackReason = 'unavailable' | 'timeout' | 'error';

const SUMMARY_EVERY_MS = 60_000;

/**
 * Per-key token buckets shared by every API instance through Redis: one atomic Lua call per key
 * and event-loop turn (for all the requests of that turn), on the Redis server's clock. A busy key's
 * call also leases tokens to this instance (`TokenLeases`), so that most of its takes are decided
 * synchronously.
 *
 * When Redis is down, slow or failing, it fails open to a bucket in this process's memory with the
 * same rate and burst: requests keep being served and each key stays limited, but per instance, so
 * with N instances a key may get up to N times its rate until Redis is back. Refusing every request
 * (failing closed) would turn an outage of the limiter's store into an outage of the whole API for
 * keys that have already passed authentication; letting everything through unmetered would lose
 * the protection entirely. Each such decision is counted (api_rate_limit_fallbacks_total{reason}),
 * api_rate_limit_store_up drops to 0, and the change is logged once (with a summary a minute while
 * it lasts).
 */
export class RedisRateLimiter implements RateLimiter {
  readonly store = 'redis';
  private readonly client: Redis;
  private readonly buckets: RedisTokenBuckets;
  private readonly fallback: MemoryRateLimiter;
  private readonly leases: TokenLeases;
  private readonly bucketKeys = new Map<number, string>();
  /** Requests waiting for this turn's call to Redis, by key id. */
  private waiting = new Map<number, ((decision: RateDecision) => void)[]>();
  private flushScheduled = false;
  private up = true;
  private lastError: unknown = null;
  private fallbacksSinceSummary = 0;
  private lastSummary = 0;

  constructor(private readonly options: RedisRateLimiterOptions) {
    this.client = new Redis(options.url, {
      lazyConnect: true,
      // Never queue a command while disconnected or retry it later: it is decided in memory at once.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: options.timeoutMs,
      connectTimeout: 2_000,
      // Commands issued in one tick go out as one pipeline: one write and one read for many requests.
      enableAutoPipelining: true,
      retryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
    });
    // Connection errors surface as events; the state is read from client.status on each request.
    this.client.on('error', (error: unknown) => {
      this.lastError = error;
    });
    this.client.on('ready', () => this.markUp());
    this.buckets = new RedisTokenBuckets(this.client, options.perSecond, options.burst);
    this.fallback = new MemoryRateLimiter(options.perSecond, options.burst, options.clock);
    this.leases = new TokenLeases(options.perSecond, options.burst, { ...DEFAULT_LEASE, ...options.lease });
    options.metrics.up.set(1);
  }

  take(keyId: number): RateDecision | Promise<RateDecision> {
    // Leased tokens were taken from the shared bucket already: they are spent even if Redis is down.
    const now = this.leases.now();
    const leased = this.leases.take(keyId, now);
    if (leased !== undefined) {
      if (this.leases.topUpDue(keyId, now) && this.client.status === 'ready') this.waitingFor(keyId);
      return leased;
    }
    if (this.client.status !== 'ready') return this.degraded(keyId, 'unavailable', this.lastError);
    return new Promise<RateDecision>((resolve) => this.waitingFor(keyId).push(resolve));
  }

  /** The requests of this turn waiting for the key's call (none for a lease top-up alone). */
  private waitingFor(keyId: number): ((decision: RateDecision) => void)[] {
    let waiting = this.waiting.get(keyId);
    if (waiting === undefined) {
      waiting = [];
      this.waiting.set(keyId, waiting);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    }
    return waiting;
  }

  /**
   * Sends the requests gathered in this event-loop turn, one script call per key: a burst of
   * requests costs one round trip, and they are decided exactly as if they took a token one after
   * the other at the same instant.
   */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const batch = this.waiting;
    this.waiting = new Map();
    for (const [keyId, waiting] of batch) {
      const lease = this.leases.beforeCall(keyId);
      this.buckets.takeAndLease(this.bucketKey(keyId), waiting.length, lease).then(
        (answer) => {
          this.leases.afterCall(keyId, lease.sentAt, answer);
          if (!this.up) this.markUp();
          const { decisions } = answer;
          waiting.forEach((resolve, i) => resolve(decisions[i] ?? this.degraded(keyId, 'error', null)));
        },
        (error: unknown) => {
          // Whether the call gave back or leased anything is unknown: nothing is counted as leased,
          // and what it gave back is not given again (at worst lost, which only limits more).
          this.leases.afterCall(keyId, lease.sentAt, null);
          const reason = isTimeout(error) ? 'timeout' : 'error';
          for (const resolve of waiting) resolve(this.degraded(keyId, reason, error));
        },
      );
    }
  };

  /** Connects; when Redis cannot be reached the API starts anyway, limiting in memory until it can. */
  async start(): Promise<void> {
    try {
      await this.client.connect();
      this.options.log.info({ store: 'redis', url: redacted(this.options.url) }, 'rate limits shared through Redis');
    } catch (error) {
      this.lastError = error;
      this.markDown('unavailable');
    }
  }

  async stop(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private bucketKey(keyId: number): string {
    let key = this.bucketKeys.get(keyId);
    if (key === undefined) {
      key = `${this.options.keyPrefix}ratelimit:${keyId}`;
      if (this.bucketKeys.size >= 100_000) this.bucketKeys.clear();
      this.bucketKeys.set(keyId, key);
    }
    return key;
  }

  private degraded(keyId: number, reason: FallbackReason, error: unknown): RateDecision {
    this.lastError = error;
    this.options.metrics.fallbacks.labels({ reason }).inc();
    if (this.up) this.markDown(reason);
    this.fallbacksSinceSummary += 1;
    const now = Date.now();
    if (now - this.lastSummary >= SUMMARY_EVERY_MS) {
      this.lastSummary = now;
      this.options.log.warn(
        { store: 'redis', fallbacks: this.fallbacksSinceSummary, reason, err: describeError(error) },
        'rate limits still decided per instance: Redis does not answer',
      );
      this.fallbacksSinceSummary = 0;
    }
    return this.fallback.take(keyId);
  }

  private markDown(reason: FallbackReason): void {
    this.up = false;
    this.options.metrics.up.set(0);
    this.lastSummary = Date.now();
    this.options.log.error(
      { store: 'redis', url: redacted(this.options.url), reason, err: describeError(this.lastError) },
      'Redis does not answer: rate limits fail open to a per-instance memory bucket until it is back',
    );
  }

  private markUp(): void {
    if (this.up) return;
    this.up = true;
    this.options.metrics.up.set(1);
    this.options.log.info(
      { store: 'redis', fallbacks: this.fallbacksSinceSummary },
      'Redis answers again: rate limits are shared again',
    );
    this.fallbacksSinceSummary = 0;
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && /timed out/i.test(error.message);
}

/** The URL without its password, for logs. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
