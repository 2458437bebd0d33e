import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '@crypto-predict/core/testing';
import { binomialZ, CoverageDrift, type CoverageDriftOptions } from './coverage-drift.js';

const options: CoverageDriftOptions = { window: 200, minSamples: 50, zThreshold: 3, tolerance: 0.05 };

describe('CoverageDrift', () => {
  it('computes the binomial z by hand: 70 of 100 at p = 0.9', () => {
    // (70 − 90 + 0.5) / √(100 · 0.9 · 0.1) = −19.5 / 3 = −6.5
    assert.ok(Math.abs(binomialZ(70, 100, 0.9) + 6.5) < 1e-12, 'z = −6.5');
    assert.equal(binomialZ(90, 100, 0.9), 0, 'exactly nominal is z 0');
  });

  it('says nothing until it has enough outcomes', () => {
    const drift = new CoverageDrift(options);
    for (let i = 0; i < 49; i += 1) assert.equal(drift.update(false, 0.9).verdict, 'too-few');
  });

  it('accepts calibrated intervals and flags under- and over-covering ones', () => {
    const random = seededRandom(3);
    const calibrated = new CoverageDrift(options);
    for (let i = 0; i < 2_000; i += 1) {
      const check = calibrated.update(random() < 0.9, 0.9);
      assert.notEqual(
        check.verdict === 'under-covering' || check.verdict === 'over-covering',
        true,
        `calibrated intervals pass (sample ${i})`,
      );
    }
    const narrow = new CoverageDrift(options);
    let last = narrow.check();
    for (let i = 0; i < 200; i += 1) last = narrow.update(random() < 0.7, 0.9);
    assert.equal(last.verdict, 'under-covering', '70 % coverage against 90 % nominal is under-covering');
    const wide = new CoverageDrift({ ...options, tolerance: 0.02 });
    for (let i = 0; i < 200; i += 1) last = wide.update(true, 0.8);
    assert.equal(last.verdict, 'over-covering', 'every actual inside 80 % intervals is over-covering');
  });
});
