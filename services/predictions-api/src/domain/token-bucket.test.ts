import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { takeMany, TokenBuckets, TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then refuses with the wait until one token is back', () => {
    const bucket = new TokenBucket(2, 3, 0);
    assert.deepEqual(
      [1, 2, 3].map(() => bucket.take(0).allowed),
      [true, true, true],
      'the full burst must be allowed at once',
    );
    const refused = bucket.take(0);
    assert.equal(refused.allowed, false, 'the request past the burst must be refused');
    assert.equal(refused.remaining, 0);
    assert.equal(refused.retryAfterSeconds, 1, 'at 2/s one token is back within 1 s');
    assert.equal(refused.resetSeconds, 2, 'at 2/s three tokens are back within 2 s');
  });

  it('refills at the configured rate, up to the burst', () => {
    const bucket = new TokenBucket(10, 5, 0);
    for (let i = 0; i < 5; i += 1) bucket.take(0);
    assert.equal(bucket.take(50).allowed, false, 'half a token after 50 ms at 10/s is not enough');
    assert.equal(bucket.take(100).allowed, true, 'one token after 100 ms at 10/s');
    const later = bucket.take(60_000);
    assert.equal(later.remaining, 4, 'the bucket never holds more than the burst');
  });

  it('says how long until a refused caller may retry at a slow rate', () => {
    const bucket = new TokenBucket(0.1, 1, 0);
    bucket.take(0);
    assert.equal(bucket.take(0).retryAfterSeconds, 10, 'at 0.1/s a token takes 10 s');
  });
});

describe('takeMany', () => {
  it('answers requests arriving together as if they came one after the other at that instant', () => {
    const bucket = new TokenBucket(2, 5, 0);
    bucket.take(0);
    const one = Array.from({ length: 6 }, () => bucket.take(0));
    assert.deepEqual(takeMany(4, 6, 2, 5), one, 'four tokens: four allowed, then two refused');
    assert.deepEqual(
      takeMany(4, 6, 2, 5).map((d) => [d.allowed, d.remaining]),
      [
        [true, 3],
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
        [false, 0],
      ],
    );
  });
});

describe('TokenBuckets', () => {
  it('keeps one bucket per key', () => {
    const limiter = new TokenBuckets(1, 1);
    assert.equal(limiter.take(1, 0).allowed, true);
    assert.equal(limiter.take(1, 0).allowed, false, 'key 1 has used its burst');
    assert.equal(limiter.take(2, 0).allowed, true, 'key 2 has its own bucket');
  });

  it('forgets only idle (full) buckets when it sweeps', () => {
    const limiter = new TokenBuckets(1, 2);
    const start = 1_000_000;
    limiter.take(1, start);
    limiter.take(1, start);
    assert.equal(limiter.take(1, start + 61_000).remaining, 1, 'an idle bucket swept away comes back full');
    limiter.take(1, start + 61_000);
    assert.equal(limiter.take(1, start + 61_000).allowed, false, 'a bucket created at a sweep must still limit');
  });
});
