import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalQuantile, twoSidedZ } from './normal-quantile.js';

describe('normalQuantile', () => {
  // Reference values: scipy.stats.norm.ppf.
  const cases: [number, number][] = [
    [0.5, 0],
    [0.95, 1.6448536269514722],
    [0.975, 1.959963984540054],
    [0.995, 2.5758293035489004],
    [0.01, -2.3263478740408408],
    [1e-6, -4.753424308822899],
  ];
  for (const [p, z] of cases) {
    it(`Φ⁻¹(${p}) = ${z}`, () => {
      assert.ok(
        Math.abs(normalQuantile(p) - z) <= 1e-14 * Math.max(1, Math.abs(z)),
        `normalQuantile(${p}) must be ${z}, got ${normalQuantile(p)}`,
      );
    });
  }

  it('gives the two-sided z of a coverage', () => {
    assert.ok(Math.abs(twoSidedZ(0.9) - 1.6448536269514722) < 1e-15, 'a 90% interval must be ±1.645σ');
  });

  it('refuses probabilities outside (0, 1)', () => {
    assert.throws(() => normalQuantile(1), RangeError);
    assert.throws(() => normalQuantile(0), RangeError);
  });
});
