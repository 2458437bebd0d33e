import { createHash } from 'node:crypto';
import { AppError } from '@crypto-predict/core';
import type { Redis } from 'ioredis';
import { takeMany, type RateDecision } from '../domain/token-bucket.js';

/**
 * The refill-and-take of domain/token-bucket.ts as one Lua script, so that it is one atomic step in
 * Redis whichever API instance asks. It takes for `count` requests arriving at the same instant (an
 * instance sends the requests of one event-loop turn together) and answers the tokens it found
 * after the refill; the caller derives each request's answer from that with the same `takeMany` as
 * the memory bucket. The arithmetic is the same, in the same order, on the same IEEE doubles
 * (tokens travel as 17 significant digits, which read back exactly), so a shared bucket decides
 * exactly as a memory bucket fed the same times would.
 *
 * KEYS[1]  the bucket: a hash {tokens, at}
 * ARGV[1]  refill rate, tokens per second
 * ARGV[2]  burst: the bucket size
 * ARGV[3]  now in epoch ms, or '' for the Redis server's clock (one clock for every instance)
 * ARGV[4]  how many requests take a token now
 * ARGV[5]  a lease: at most this many tokens more, taken for the caller to hand out itself (0: none)
 * ARGV[6]  the lease is at most floor(tokens left after the takes / ARGV[6]), so it shrinks to 0 as
 *          the bucket nears empty
 * ARGV[7]  unused tokens of an expired lease given back (added after the refill, up to the burst)
 * returns  {the tokens in the bucket after the refill and the give-back, before this call's takes
 *          (a string); the tokens leased}
 *
 * A full bucket is the same as no bucket, so the key expires once it would have refilled; idle keys
 * cost nothing.
 */
export const TOKEN_BUCKET_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local count = tonumber(ARGV[4])
local now
if ARGV[3] == '' then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
else
  now = tonumber(ARGV[3])
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
at = math.max(at, now)
local back = tonumber(ARGV[7])
if back > 0 then
  tokens = math.min(burst, tokens + back)
end
local found = tokens
for _ = 1, count do
  if tokens < 1 then break end
  tokens = tokens - 1
end
local lease = 0
if tokens >= 1 then
  lease = math.min(tonumber(ARGV[5]), math.floor(tokens / tonumber(ARGV[6])))
  tokens = tokens - lease
end
local ttl = math.min(math.ceil((burst - tokens) / rate * 1000) + 1000, 315360000000)
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', at))
redis.call('PEXPIRE', KEYS[1], string.format('%d', ttl))
return {string.format('%.17g', found), lease}
`;

const SCRIPT_SHA = createHash('sha1').update(TOKEN_BUCKET_SCRIPT).digest('hex');

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * Token buckets in Redis, one hash per bucket key. Calls the script by its SHA (EVALSHA) and, when
 * Redis does not know it (first use, restart, SCRIPT FLUSH, failover), sends it once with EVAL,
 * which also caches it for the next EVALSHA.
 */
export class RedisTokenBuckets {
  private readonly rate: string;
  private readonly size: string;

  constructor(
    private readonly client: Redis,
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    // String(x) is the shortest text that reads back as the same double; Lua's tonumber reads it so.
    this.rate = String(perSecond);
    this.size = String(burst);
  }

  /**
   * Takes a token for each of `count` requests arriving now at the bucket at `key`; `now` in ms, or
   * null for the Redis server's clock. The answers are in the order of the requests.
   */
  async take(key: string, count = 1, now: number | null = null): Promise<RateDecision[]> {
    return (await this.takeAndLease(key, count, NO_LEASE, now)).decisions;
  }

  /**
   * As `take`, and in the same atomic step gives back the unused tokens of an expired lease and
   * takes a new lease: up to `lease.want` more tokens, at most floor(tokens left / `lease.share`).
   */
  async takeAndLease(key: string, count: number, lease: LeaseRequest, now: number | null = null): Promise<TakeAnswer> {
    const args = [
      key,
      this.rate,
      this.size,
      now === null ? '' : String(now),
      String(count),
      String(lease.want),
      String(lease.share),
      String(lease.back),
    ];
    let reply: unknown;
    try {
      reply = await this.client.evalsha(SCRIPT_SHA, 1, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      reply = await this.client.eval(TOKEN_BUCKET_SCRIPT, 1, ...args);
    }
    const [foundText, leased] = Array.isArray(reply) ? (reply as unknown[]) : [];
    const found = typeof foundText === 'string' ? Number(foundText) : Number.NaN;
    if (!Number.isFinite(found) || found < 0 || typeof leased !== 'number' || leased < 0 || leased > lease.want) {
      throw new AppError('UPSTREAM_INVALID', `the token bucket script answered ${JSON.stringify(reply)}`);
    }
    // The bucket after this call, as the script left it: the takes one by one, then the lease.
    let left = found;
    for (let i = 0; i < count && left >= 1; i += 1) left -= 1;
    return { decisions: takeMany(found, count, this.perSecond, this.burst), leased, left: left - leased };
  }
}

/** What a call asks about leases: see `RedisTokenBuckets.takeAndLease`. */
export interface LeaseRequest {
  /** The most tokens to lease (0: none). */
  want: number;
  /** The lease is at most floor(tokens left after the takes / share). */
  share: number;
  /** Unused tokens of an expired lease, given back. */
  back: number;
}

export interface TakeAnswer {
  /** One per request, in order. */
  decisions: RateDecision[];
  /** Tokens leased to the caller. */
  leased: number;
  /** Tokens in the bucket after the takes and the lease. */
  left: number;
}

const NO_LEASE: LeaseRequest = { want: 0, share: 1, back: 0 };
