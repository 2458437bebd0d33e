import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededNormal } from '@crypto-predict/core/testing';
import { PageHinkley, type PageHinkleyOptions } from './page-hinkley.js';

const options: PageHinkleyOptions = { warmup: 100, delta: 0.25, lambda: 30, clip: 5 };

describe('PageHinkley', () => {
  it('raises no alarm on a long stationary series of absolute errors', () => {
    for (const seed of [1, 2, 3]) {
      const normal = seededNormal(seed);
      const detector = new PageHinkley(options);
      for (let i = 0; i < 20_000; i += 1) {
        assert.equal(
          detector.update(Math.abs(normal())),
          false,
          `seed ${seed}: no alarm at sample ${i} of a stationary series`,
        );
      }
    }
  });

  it('detects a doubling of the error after the change, never before it', () => {
    const change = 2_000;
    for (const seed of [11, 12, 13]) {
      const normal = seededNormal(seed);
      const detector = new PageHinkley(options);
      let firstAlarm: number | null = null;
      for (let i = 0; i < change + 500 && firstAlarm === null; i += 1) {
        const scale = i < change ? 1 : 2;
        if (detector.update(scale * Math.abs(normal()))) firstAlarm = i;
      }
      assert.ok(firstAlarm !== null, `seed ${seed}: the shift is detected`);
      assert.ok(firstAlarm >= change, `seed ${seed}: no alarm before the change (first at ${firstAlarm})`);
      assert.ok(
        firstAlarm < change + 150,
        `seed ${seed}: detected within 150 samples of the change (took ${firstAlarm - change})`,
      );
    }
  });

  it('keeps alarming while the error stays high, and is silent during the warm-up', () => {
    const normal = seededNormal(5);
    const detector = new PageHinkley(options);
    for (let i = 0; i < options.warmup; i += 1) assert.equal(detector.update(10 * Math.abs(normal())), false);
    assert.ok(detector.state().reference !== null, 'the reference is set after the warm-up');
    for (let i = 0; i < 200; i += 1) detector.update(10 * Math.abs(normal()));
    for (let i = 0; i < 1_000; i += 1) detector.update(30 * Math.abs(normal()));
    assert.ok(detector.state().alarms >= 3, `a sustained rise alarms repeatedly (got ${detector.state().alarms})`);
  });

  it('is not tripped by a single huge outlier', () => {
    const normal = seededNormal(7);
    const detector = new PageHinkley(options);
    for (let i = 0; i < 300; i += 1) detector.update(Math.abs(normal()));
    assert.equal(detector.update(1_000), false, 'one outlier is clipped');
  });
});
