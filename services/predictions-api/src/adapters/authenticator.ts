import { hashKey, looksLikeKey } from '../domain/api-key.js';
import type { KeyLookup } from './api-key-store.js';

export type AuthResult =
  { ok: true; keyId: number; name: string } | { ok: false; reason: 'missing' | 'invalid' | 'revoked' };

interface CacheEntry {
  result: AuthResult;
  expiresAt: number;
}

const MAX_ENTRIES = 10_000;
const MISSING: AuthResult = Object.freeze({ ok: false, reason: 'missing' });
const INVALID: AuthResult = Object.freeze({ ok: false, reason: 'invalid' });

/**
 * Checks presented keys against the store, remembering each answer (valid, unknown, revoked) for
 * `ttlMs`, so a request costs one map lookup, and a revocation takes effect within the TTL. The
 * memory is keyed by the presented key itself (the process holds it anyway while it reads the
 * request): a remembered key needs neither the pattern check nor the SHA-256 that the store is
 * asked with. Concurrent first lookups of one key share one query.
 */
export class Authenticator {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly pending = new Map<string, Promise<AuthResult>>();

  constructor(
    private readonly store: KeyLookup,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The remembered answer, or undefined when the store must be asked (then call `check`). */
  cached(key: string | null): AuthResult | undefined {
    if (key === null) return MISSING;
    const entry = this.cache.get(key);
    if (entry !== undefined && entry.expiresAt > this.clock()) return entry.result;
    return looksLikeKey(key) ? undefined : INVALID;
  }

  async check(key: string | null): Promise<AuthResult> {
    const cached = this.cached(key);
    if (cached !== undefined || key === null) return cached ?? MISSING;
    const inFlight = this.pending.get(key);
    if (inFlight !== undefined) return inFlight;
    const lookup = this.lookup(key).finally(() => this.pending.delete(key));
    this.pending.set(key, lookup);
    return lookup;
  }

  private async lookup(key: string): Promise<AuthResult> {
    const record = await this.store.findByHash(hashKey(key));
    const result: AuthResult =
      record === null
        ? INVALID
        : record.revokedAt !== null
          ? { ok: false, reason: 'revoked' }
          : { ok: true, keyId: record.id, name: record.name };
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(key, { result, expiresAt: this.clock() + this.ttlMs });
    return result;
  }
}
