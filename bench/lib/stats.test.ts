import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quantile } from './stats.js';

describe('quantile', () => {
  it('interpolates between order statistics like numpy', () => {
    assert.equal(quantile([3, 1, 2, 4], 0.5), 2.5);
    assert.equal(quantile([10, 20, 30, 40, 50], 0.99), 49.6);
    assert.ok(Number.isNaN(quantile([], 0.5)), 'no data, no quantile');
  });
});
