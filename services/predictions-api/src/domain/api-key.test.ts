import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { formatKey, hashKey, looksLikeKey, presentedKey } from './api-key.js';

describe('API keys', () => {
  it('formats 32 random bytes as a recognisable key and stores only its SHA-256', () => {
    const key = formatKey(randomBytes(32));
    assert.ok(looksLikeKey(key), `${key} must look like a key`);
    assert.match(hashKey(key), /^[0-9a-f]{64}$/);
    assert.notEqual(hashKey(key), hashKey(formatKey(randomBytes(32))));
  });

  it('takes the key from a Bearer Authorization header or X-API-Key', () => {
    assert.equal(presentedKey('Bearer abc', undefined), 'abc');
    assert.equal(presentedKey('bearer  abc ', undefined), 'abc');
    assert.equal(presentedKey(undefined, 'abc'), 'abc');
    assert.equal(
      presentedKey('Basic dXNlcjpwYXNz', 'abc'),
      null,
      'a non-Bearer Authorization must not fall back to X-API-Key',
    );
    assert.equal(presentedKey(undefined, undefined), null);
    assert.equal(presentedKey(undefined, ['a', 'b']), null, 'a repeated X-API-Key must be refused');
  });
});
