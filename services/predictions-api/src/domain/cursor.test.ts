import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('cursor', () => {
  it('round-trips a position as a URL-safe token', () => {
    const cursor = { featureTime: 1735689660000, id: 'BTC-USDT:5:1735689660000:price-BTC-USDT-1m@3' };
    const token = encodeCursor(cursor);
    assert.match(token, /^[A-Za-z0-9_-]+$/, 'the token must be URL-safe');
    assert.deepEqual(decodeCursor(token), cursor);
  });

  it('refuses tokens it did not issue', () => {
    for (const token of [
      '',
      'not a cursor!',
      Buffer.from('[1]').toString('base64url'),
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('[-1,"x"]').toString('base64url'),
    ]) {
      assert.equal(decodeCursor(token), null, `"${token}" must be refused`);
    }
  });
});
