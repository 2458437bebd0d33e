import { createHash } from 'node:crypto';

/** Every key this API issues starts so, which makes a leaked key easy to recognise in a scan. */
export const KEY_PREFIX = 'cpk_';
const KEY_PATTERN = /^cpk_[A-Za-z0-9_-]{43}$/;

/** A key as handed to its owner: the prefix and 32 random bytes, base64url. */
export function formatKey(randomBytes: Buffer): string {
  if (randomBytes.length !== 32) throw new RangeError('an API key is made of 32 random bytes');
  return `${KEY_PREFIX}${randomBytes.toString('base64url')}`;
}

/** Whether a presented string could be a key at all (refused before any lookup when not). */
export function looksLikeKey(presented: string): boolean {
  return KEY_PATTERN.test(presented);
}

/** What is stored instead of the key: its SHA-256, hex. A 256-bit random key needs no slow hash. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(
  authorization: string | undefined,
  apiKeyHeader: string | string[] | undefined,
): string | null {
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1] ?? null;
  }
  if (typeof apiKeyHeader === 'string') return apiKeyHeader.trim() || null;
  return null;
}
