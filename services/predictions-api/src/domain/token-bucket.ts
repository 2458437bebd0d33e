/** What a rate-limited caller is told: whether to go ahead, and the RateLimit-* header values. */
export interface RateDecision {
  allowed: boolean;
  /** Bucket capacity: the most requests that can be made at once. */
  limit: number;
  /** Whole requests left now. */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** When refused: seconds until one request is allowed. */
  retryAfterSeconds: number;
}

/**
 * One request at a bucket holding `tokens` (already refilled to now): whether it may go ahead, the
 * header values, and the tokens it leaves. Shared by the memory bucket and the Redis one, so both
 * decide with the same arithmetic.
 */
export function takeOne(tokens: number, perSecond: number, burst: number): { decision: RateDecision; left: number } {
  const allowed = tokens >= 1;
  const left = allowed ? tokens - 1 : tokens;
  return {
    decision: {
      allowed,
      limit: burst,
      remaining: Math.floor(left),
      resetSeconds: Math.ceil((burst - left) / perSecond),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - left) / perSecond)),
    },
    left,
  };
}

/** `count` requests arriving at the same instant at a bucket holding `tokens`: each one's answer, in order. */
export function takeMany(tokens: number, count: number, perSecond: number, burst: number): RateDecision[] {
  const decisions: RateDecision[] = [];
  let left = tokens;
  for (let i = 0; i < count; i += 1) {
    const taken = takeOne(left, perSecond, burst);
    decisions.push(taken.decision);
    left = taken.left;
  }
  return decisions;
}

/**
 * A token bucket: `burst` tokens, refilled at `perSecond`; each request takes one. Time arrives as
 * data (ms), so the bucket is pure and exact under test.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  take(now: number): RateDecision {
    const elapsed = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.perSecond);
    this.updatedAt = Math.max(this.updatedAt, now);
    const { decision, left } = takeOne(this.tokens, this.perSecond, this.burst);
    this.tokens = left;
    return decision;
  }

  /** Whether the bucket has refilled completely: an idle bucket can be forgotten. */
  isFull(now: number): boolean {
    return this.tokens + (Math.max(0, now - this.updatedAt) / 1000) * this.perSecond >= this.burst;
  }
}

/** One bucket per key, created on first use; full (idle) buckets are swept so memory stays bounded. */
export class TokenBuckets {
  private readonly buckets = new Map<number, TokenBucket>();
  private lastSweep = 0;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  take(keyId: number, now: number): RateDecision {
    if (now - this.lastSweep > 60_000) this.sweep(now);
    let bucket = this.buckets.get(keyId);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.perSecond, this.burst, now);
      this.buckets.set(keyId, bucket);
    }
    return bucket.take(now);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [id, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(id);
  }
}
