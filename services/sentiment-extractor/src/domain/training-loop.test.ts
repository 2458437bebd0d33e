import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '@crypto-predict/core';
import { Adam, forEachMiniBatch, softmaxInPlace, type MiniBatch } from './training-loop.js';

function batchesOf(labels: number[], options: Parameters<typeof forEachMiniBatch>[1], seed = 5): MiniBatch[] {
  const batches: MiniBatch[] = [];
  forEachMiniBatch(labels, options, seededRandom(seed), (batch) => batches.push(batch));
  return batches;
}

describe('forEachMiniBatch', () => {
  const labels = [0, 1, 2, 0, 1, 2, 0];

  it('visits every example once per epoch, in batches of at most batchSize', () => {
    const batches = batchesOf(labels, { epochs: 3, batchSize: 3 });
    assert.equal(batches.length, 9, 'ceil(7 / 3) batches in each of 3 epochs');
    for (let epoch = 0; epoch < 3; epoch += 1) {
      const seen = batches.slice(epoch * 3, epoch * 3 + 3).flatMap((batch) => [...batch.indices]);
      assert.deepEqual(
        [...seen].sort((a, b) => a - b),
        [0, 1, 2, 3, 4, 5, 6],
        `epoch ${epoch} is a permutation`,
      );
    }
    assert.deepEqual(
      batches.map((batch) => batch.indices.length),
      [3, 3, 1, 3, 3, 1, 3, 3, 1],
    );
  });

  it('is the same for the same seed and differs for another', () => {
    const options = { epochs: 2, batchSize: 2 };
    assert.deepEqual(batchesOf(labels, options, 5), batchesOf(labels, options, 5));
    assert.notDeepEqual(
      batchesOf(labels, options, 5).map((batch) => batch.indices),
      batchesOf(labels, options, 6).map((batch) => batch.indices),
      'another seed, another order',
    );
  });

  it('weighs an example by class weight × sample weight, averaging 1 over the data, over the batch size', () => {
    const twoLabels = [0, 1, 1, 1];
    const classWeights = [3, 1];
    const sampleWeights = [1, 1, 2, 0];
    // raw weights 3, 1, 2, 0 (mean 1.5) → 2, 2/3, 4/3, 0; one batch of 4 divides by 4
    const [batch] = batchesOf(twoLabels, { epochs: 1, batchSize: 4, classWeights, sampleWeights });
    assert.ok(batch !== undefined);
    const expected = [2, 2 / 3, 4 / 3, 0];
    batch.indices.forEach((i, j) => {
      assert.ok(
        Math.abs((batch.weights[j] ?? NaN) - (expected[i] ?? NaN) / 4) < 1e-12,
        `example ${i} weighs ${expected[i]} / 4`,
      );
    });
    const unweighted = batchesOf(twoLabels, { epochs: 1, batchSize: 2 });
    assert.ok(
      unweighted.every((b) => [...b.weights].every((w) => w === 0.5)),
      'without weights every example weighs 1 / batch size',
    );
  });
});

describe('Adam', () => {
  it('minimises a quadratic, and L2 pulls the minimum towards zero', () => {
    // loss = (x - 3)^2 → gradient 2 (x - 3); with L2 λ the minimum is 6 / (2 + λ)
    const solve = (l2: number): number => {
      const x = new Float64Array([0]);
      const adam = new Adam(x, l2);
      for (let t = 0; t < 3000; t += 1) adam.step(new Float64Array([2 * ((x[0] ?? 0) - 3)]), 0.05);
      return x[0] ?? NaN;
    };
    assert.ok(Math.abs(solve(0) - 3) < 1e-3, `no L2 → 3 (got ${solve(0)})`);
    assert.ok(Math.abs(solve(1) - 2) < 1e-3, `L2 1 → 2 (got ${solve(1)})`);
  });

  it('moves a parameter by about the learning rate on its first step, against the gradient', () => {
    const x = new Float64Array([1, 1]);
    new Adam(x, 0).step(new Float64Array([10, -0.01]), 0.1);
    assert.ok(Math.abs((x[0] ?? NaN) - 0.9) < 1e-6 && Math.abs((x[1] ?? NaN) - 1.1) < 1e-4, `got ${[...x].join(', ')}`);
  });
});

describe('softmaxInPlace', () => {
  it('gives probabilities, unchanged by a shift of the logits, without overflow', () => {
    const a = new Float64Array([1, 2, 3]);
    const b = new Float64Array([1001, 1002, 1003]);
    softmaxInPlace(a);
    softmaxInPlace(b);
    assert.ok(Math.abs(a.reduce((s, p) => s + p, 0) - 1) < 1e-12);
    a.forEach((p, i) => assert.ok(Math.abs(p - (b[i] ?? NaN)) < 1e-12, 'shift-invariant and finite'));
    assert.ok(Math.abs((a[2] ?? 0) / (a[1] ?? 1) - Math.E) < 1e-9, 'ratio e per unit of logit');
  });
});
