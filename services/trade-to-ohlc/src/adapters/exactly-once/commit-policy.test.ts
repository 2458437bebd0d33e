import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommitPolicy } from './commit-policy.js';

const policy = () => new CommitPolicy({ intervalMs: 1_000, maxTrades: 100 });
const backlog = { caughtUp: false, holdsCandles: true };

describe('CommitPolicy', () => {
  it('has nothing to commit before any work', () => {
    assert.equal(policy().due(10_000, { caughtUp: true, holdsCandles: true }), false);
  });

  it('commits a backlog every maxTrades trades', () => {
    const p = policy();
    p.record(60, 0);
    assert.equal(p.due(10, backlog), false, '60 trades are not enough');
    p.record(40, 10);
    assert.equal(p.due(10, backlog), true, '100 trades are');
    p.reset();
    assert.equal(p.due(10, backlog), false, 'a commit starts over');
  });

  it('commits at least every intervalMs, counted from the first uncommitted work', () => {
    const p = policy();
    p.record(1, 500);
    assert.equal(p.due(1_499, backlog), false);
    assert.equal(p.due(1_500, backlog), true);
  });

  it('commits candles at once when the consumer has caught up, and only then', () => {
    const p = policy();
    p.record(1, 0);
    assert.equal(p.due(1, { caughtUp: true, holdsCandles: true }), true, 'live: the candle goes out now');
    assert.equal(p.due(1, { caughtUp: true, holdsCandles: false }), false, 'trades alone wait for the interval');
    assert.equal(p.due(1, { caughtUp: false, holdsCandles: true }), false, 'a backlog batches its candles');
  });

  it('counts a flush (no trades) as work to commit', () => {
    const p = policy();
    p.record(0, 0);
    assert.equal(p.pending, true);
  });
});
