import { TokenBuckets, type RateDecision } from '../domain/token-bucket.js';

/**
 * Where the per-key token buckets live. The memory limiter answers synchronously (no await on the
 * hot path); the Redis one shares each key's bucket between every API instance.
 */
export interface RateLimiter {
  readonly store: 'memory' | 'redis';
  /** Takes a token from the key's bucket: whether the request may go ahead, and the header values. */
  take(keyId: number): RateDecision | Promise<RateDecision>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Buckets in this process: exact and free, but each instance (or cluster worker) has its own. */
export class MemoryRateLimiter implements RateLimiter {
  readonly store = 'memory';
  private readonly buckets: TokenBuckets;

  constructor(
    perSecond: number,
    burst: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.buckets = new TokenBuckets(perSecond, burst);
  }

  take(keyId: number): RateDecision {
    return this.buckets.take(keyId, this.clock());
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
