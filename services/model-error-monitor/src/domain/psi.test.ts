import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededNormal } from '@crypto-predict/core/testing';
import { binIndex, FeatureDrift, populationStabilityIndex } from './psi.js';

describe('binIndex', () => {
  const edges = [0, 1, 2, 3];
  it('follows the trainer: [e_i, e_i+1), last bin closed, out-of-range values in the end bins', () => {
    assert.equal(binIndex(edges, -5), 0, 'below the first edge → first bin');
    assert.equal(binIndex(edges, 0), 0);
    assert.equal(binIndex(edges, 0.99), 0);
    assert.equal(binIndex(edges, 1), 1, 'an interior edge opens its bin');
    assert.equal(binIndex(edges, 3), 2, 'the last edge is in the last bin');
    assert.equal(binIndex(edges, 99), 2, 'above the last edge → last bin');
  });
});

describe('populationStabilityIndex', () => {
  it('is zero for identical distributions', () => {
    assert.equal(populationStabilityIndex([0.25, 0.25, 0.5], [25, 25, 50]), 0);
  });

  it('matches a hand-computed value', () => {
    // ref (0.5, 0.5), live (0.8, 0.2): 0.3·ln(1.6) + (−0.3)·ln(0.4) = 0.3·(0.470004 + 0.916291) = 0.415888
    const psi = populationStabilityIndex([0.5, 0.5], [80, 20]);
    assert.ok(Math.abs(psi - 0.3 * (Math.log(1.6) - Math.log(0.4))) < 1e-12, `PSI ${psi}`);
    assert.ok(Math.abs(psi - 0.415888) < 1e-6);
  });

  it('stays finite when a live bin is empty', () => {
    assert.ok(Number.isFinite(populationStabilityIndex([0.5, 0.5], [100, 0])), 'empty bins are floored');
  });
});

describe('FeatureDrift', () => {
  // Deciles of a standard normal.
  const edges = [-4, -1.2816, -0.8416, -0.5244, -0.2533, 0, 0.2533, 0.5244, 0.8416, 1.2816, 4];
  const reference = { rsi: { edges, fractions: Array.from({ length: 10 }, () => 0.1) } };
  const options = { windowRows: 1_000, minRows: 200, warning: 0.1, critical: 0.25 };

  it('finds no drift in rows from the training distribution', () => {
    const normal = seededNormal(21);
    const drift = new FeatureDrift(reference, options);
    for (let i = 0; i < 1_000; i += 1) drift.add({ rsi: normal() });
    const [rsi] = drift.evaluate();
    assert.equal(rsi?.severity, 'ok', `PSI ${rsi?.psi} is below 0.1`);
  });

  it('flags a shifted feature as critical, ignoring nulls', () => {
    const normal = seededNormal(22);
    const drift = new FeatureDrift(reference, options);
    for (let i = 0; i < 1_000; i += 1) drift.add({ rsi: normal() + 1, other: 3 });
    drift.add({ rsi: null });
    const [rsi] = drift.evaluate();
    assert.equal(rsi?.severity, 'critical', `a one-sigma shift has PSI ${rsi?.psi} > 0.25`);
    assert.equal(rsi?.rows, 1_000, 'null values are not counted');
  });

  it('waits for minRows before a verdict', () => {
    const drift = new FeatureDrift(reference, options);
    for (let i = 0; i < 199; i += 1) drift.add({ rsi: 10 });
    assert.deepEqual(drift.evaluate(), []);
  });
});
