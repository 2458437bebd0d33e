import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryKeys } from '../test-support/fakes.js';
import { Authenticator } from './authenticator.js';

describe('Authenticator', () => {
  it('accepts a stored key, and refuses missing, malformed, unknown and revoked ones', async () => {
    const keys = new MemoryKeys();
    const { id, key } = keys.create('desk');
    const revoked = keys.create('old');
    keys.revoke(revoked.id);
    const auth = new Authenticator(keys, 10_000);
    assert.deepEqual(await auth.check(key), { ok: true, keyId: id, name: 'desk' });
    assert.deepEqual(await auth.check(null), { ok: false, reason: 'missing' });
    assert.deepEqual(await auth.check('hunter2'), { ok: false, reason: 'invalid' });
    assert.deepEqual(await auth.check(new MemoryKeys().create('elsewhere').key), { ok: false, reason: 'invalid' });
    assert.deepEqual(await auth.check(revoked.key), { ok: false, reason: 'revoked' });
  });

  it('asks the store once per key per TTL, and sees a revocation after the TTL', async () => {
    let now = 0;
    const keys = new MemoryKeys();
    const { id, key } = keys.create('desk');
    const auth = new Authenticator(keys, 1_000, () => now);
    await Promise.all([auth.check(key), auth.check(key), auth.check(key)]);
    assert.equal(keys.lookups, 1, 'concurrent first checks of one key must share one lookup');
    assert.deepEqual(
      auth.cached(key),
      { ok: true, keyId: id, name: 'desk' },
      'a checked key must be answered from the cache',
    );
    keys.revoke(id);
    now = 999;
    assert.equal((await auth.check(key)).ok, true, 'within the TTL the cached answer stands');
    now = 1_000;
    assert.deepEqual(await auth.check(key), { ok: false, reason: 'revoked' }, 'after the TTL the revocation must bite');
    assert.equal(keys.lookups, 2);
  });

  it('never asks the store about a string that cannot be a key', async () => {
    const keys = new MemoryKeys();
    const auth = new Authenticator(keys, 1_000);
    await auth.check('x'.repeat(5000));
    assert.equal(keys.lookups, 0);
  });
});
