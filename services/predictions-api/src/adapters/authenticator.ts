import { hashKey, looksLikeKey } from '../domain/api-key.js';
import type { KeyLookup } from './api-key-store.js';

export type AuthResult =
  { ok: true; keyId: number; name: string } | { ok: false; reason: 'missing' | 'invalid' | 'revoked' };

interface CacheEntry {
  result: AuthResult;
  expiresAt: number;
}

const MAX_ENTRIES = 10_000;

/**
 * Checks presented keys against the store, remembering each answer (valid, unknown, revoked) for
 * `ttlMs`, so a request costs one hash and one map lookup, and a revocation takes effect within the
 * TTL. Concurrent first lookups of one key share one query.
 */
export class Authenticator {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly pending = new Map<string, Promise<AuthResult>>();

  constructor(
    private readonly store: KeyLookup,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The cached answer, or undefined when the store must be asked (then call `check`). */
  cached(key: string | null): AuthResult | undefined {
    if (key === null) return { ok: false, reason: 'missing' };
    if (!looksLikeKey(key)) return { ok: false, reason: 'invalid' };
    const entry = this.cache.get(hashKey(key));
    if (entry === undefined || entry.expiresAt <= this.clock()) return undefined;
    return entry.result;
  }

  async check(key: string | null): Promise<AuthResult> {
    const cached = this.cached(key);
    if (cached !== undefined || key === null) return cached ?? { ok: false, reason: 'missing' };
    const hash = hashKey(key);
    const inFlight = this.pending.get(hash);
    if (inFlight !== undefined) return inFlight;
    const lookup = this.lookup(hash).finally(() => this.pending.delete(hash));
    this.pending.set(hash, lookup);
    return lookup;
  }

  private async lookup(hash: string): Promise<AuthResult> {
    const record = await this.store.findByHash(hash);
    const result: AuthResult =
      record === null
        ? { ok: false, reason: 'invalid' }
        : record.revokedAt !== null
          ? { ok: false, reason: 'revoked' }
          : { ok: true, keyId: record.id, name: record.name };
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(hash, { result, expiresAt: this.clock() + this.ttlMs });
    return result;
  }
}
