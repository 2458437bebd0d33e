import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TimeSeriesBuffer } from './time-series-buffer.js';

interface Item {
  id: string;
  time: number;
  version?: number;
}

function buffer(options: { retentionMs?: number; maxItems?: number; prefer?: (a: Item, b: Item) => boolean } = {}) {
  return new TimeSeriesBuffer<Item>({
    time: (item) => item.time,
    key: (item) => item.id,
    retentionMs: options.retentionMs ?? 100,
    maxItems: options.maxItems ?? 1_000,
    ...(options.prefer === undefined ? {} : { prefer: options.prefer }),
  });
}

const times = (b: TimeSeriesBuffer<Item>) => b.values().map((item) => item.time);

describe('TimeSeriesBuffer', () => {
  it('keeps items in time order whatever order they arrive in', () => {
    const b = buffer();
    for (const time of [10, 30, 20, 5, 30.5, 25]) b.upsert({ id: `k${time}`, time });
    assert.deepEqual(times(b), [5, 10, 20, 25, 30, 30.5], 'late items are inserted in place');
    assert.equal(b.newestTime, 30.5);
  });

  it('orders items of the same time by key, so the order does not depend on arrival', () => {
    const a = buffer();
    const b = buffer();
    a.upsert({ id: 'b', time: 1 });
    a.upsert({ id: 'a', time: 1 });
    b.upsert({ id: 'a', time: 1 });
    b.upsert({ id: 'b', time: 1 });
    assert.deepEqual(
      a.values().map((item) => item.id),
      b.values().map((item) => item.id),
    );
  });

  it('drops what falls behind the newest time minus the retention, and refuses items already too old', () => {
    const b = buffer({ retentionMs: 100 });
    for (let time = 0; time <= 300; time += 10) b.upsert({ id: `k${time}`, time });
    assert.deepEqual(times(b)[0], 200, 'items older than 300 − 100 are gone');
    assert.equal(b.size, 11);
    assert.equal(b.upsert({ id: 'old', time: 150 }), 'too-old');
    assert.equal(b.get('k190'), undefined, 'a dropped item is forgotten by key too');
    assert.equal(b.upsert({ id: 'edge', time: 200 }), 'added', 'the cutoff itself is kept');
  });

  it('advanceTo moves the clock of a series from another series of the same pair', () => {
    const b = buffer({ retentionMs: 100 });
    b.upsert({ id: 'a', time: 0 });
    b.upsert({ id: 'b', time: 50 });
    b.advanceTo(120);
    assert.deepEqual(times(b), [50]);
    b.advanceTo(10);
    assert.equal(b.newestTime, 120, 'the clock never goes back');
  });

  it('holds at most maxItems, dropping the oldest first', () => {
    const b = buffer({ retentionMs: 1e9, maxItems: 3 });
    for (let time = 0; time < 10; time += 1) b.upsert({ id: `k${time}`, time });
    assert.deepEqual(times(b), [7, 8, 9]);
  });

  it('replaces an item with the same key as the prefer rule says', () => {
    const b = buffer({ prefer: (held, incoming) => (incoming.version ?? 0) > (held.version ?? 0) });
    assert.equal(b.upsert({ id: 'x', time: 10, version: 1 }), 'added');
    assert.equal(b.upsert({ id: 'x', time: 10, version: 0 }), 'kept', 'an older version does not replace');
    assert.equal(b.upsert({ id: 'x', time: 10, version: 2 }), 'replaced');
    assert.equal(b.size, 1);
    assert.equal(b.get('x')?.version, 2);
  });

  it('moves a replaced item whose time changed', () => {
    const b = buffer();
    b.upsert({ id: 'x', time: 10 });
    b.upsert({ id: 'y', time: 20 });
    b.upsert({ id: 'x', time: 30 });
    assert.deepEqual(
      b.values().map((item) => `${item.id}@${item.time}`),
      ['y@20', 'x@30'],
    );
  });

  it('between returns the items of a time range, bounds included', () => {
    const b = buffer();
    for (const time of [1, 2, 3, 4, 5]) b.upsert({ id: `k${time}`, time });
    assert.deepEqual(
      b.between(2, 4).map((item) => item.time),
      [2, 3, 4],
    );
  });

  it('stays bounded under a long random stream', () => {
    const b = buffer({ retentionMs: 500, maxItems: 10_000 });
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let index = 0; index < 20_000; index += 1) {
      const time = index + Math.floor(random() * 50) - 25;
      b.upsert({ id: `k${index}`, time });
      assert.ok(b.size <= 551, `never more than the retained span (${b.size} at ${index})`);
    }
    const held = times(b);
    assert.ok(
      held.every((time, index) => index === 0 || (held[index - 1] ?? -Infinity) <= time),
      'still sorted',
    );
    assert.ok((held[0] ?? 0) >= b.newestTime - 500, 'nothing older than the retention');
  });
});
