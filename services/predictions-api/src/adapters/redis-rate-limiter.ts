import { describeError, type Logger } from '@crypto-predict/core';
import { Redis } from 'ioredis';
import type { Counter, Gauge } from 'prom-client';
import type { RateDecision } from '../domain/token-bucket.js';
import { MemoryRateLimiter, type RateLimiter } from './rate-limiter.js';
import { RedisTokenBuckets } from './redis-token-bucket.js';

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
}

type FallbackReason = 'unavailable' | 'timeout' | 'error';

const SUMMARY_EVERY_MS = 60_000;

/**
 * Per-key token buckets shared by every API instance through Redis: one atomic Lua call per key
 * and event-loop turn (for all the requests of that turn), on the Redis server's clock.
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
    options.metrics.up.set(1);
  }

  take(keyId: number): RateDecision | Promise<RateDecision> {
    if (this.client.status !== 'ready') return this.degraded(keyId, 'unavailable', this.lastError);
    return new Promise<RateDecision>((resolve) => {
      let waiting = this.waiting.get(keyId);
      if (waiting === undefined) {
        waiting = [];
        this.waiting.set(keyId, waiting);
      }
      waiting.push(resolve);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    });
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
      this.buckets.take(this.bucketKey(keyId), waiting.length).then(
        (decisions) => {
          if (!this.up) this.markUp();
          waiting.forEach((resolve, i) => resolve(decisions[i] ?? this.degraded(keyId, 'error', null)));
        },
        (error: unknown) => {
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
