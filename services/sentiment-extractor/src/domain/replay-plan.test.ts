import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NewsItem } from '@crypto-predict/core';
import { dueAt, replayBatches, replayItems } from './replay-plan.js';

const item = (id: string, publishedAt: number): NewsItem => ({
  v: 1,
  id,
  source: 's',
  title: id,
  currencies: [],
  publishedAt,
  receivedAt: publishedAt,
});
const T0 = Date.UTC(2025, 10, 15);

describe('replay plan', () => {
  it('keeps items inside [from, to) in event-time order, stable for ties', () => {
    const items = [item('c', T0 + 3000), item('a', T0 + 1000), item('b', T0 + 1000), item('d', T0 + 9000)];
    assert.deepEqual(
      replayItems(items, { from: T0 + 1000, to: T0 + 9000 }).map((i) => i.id),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      replayItems(items, {}).map((i) => i.id),
      ['a', 'b', 'c', 'd'],
    );
  });

  it('paces by event time divided by speed; speed 0 is always due', () => {
    assert.equal(dueAt(T0, T0 + 60_000, 60, 1_000), 1_000 + 1_000, 'a minute of event time at 60x is a second');
    assert.equal(dueAt(T0, T0 + 60_000, 0, 1_000), 1_000, 'speed 0: due at once');
  });

  it('batches items due together and caps batch size', () => {
    const items = [item('a', T0), item('b', T0 + 10), item('c', T0 + 60_000), item('d', T0 + 60_001)];
    assert.deepEqual(
      replayBatches(items, 1, 100).map((batch) => batch.map((i) => i.id)),
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
    );
    assert.deepEqual(
      replayBatches(items, 0, 3).map((batch) => batch.length),
      [3, 1],
      'as fast as possible: full batches',
    );
  });
});
