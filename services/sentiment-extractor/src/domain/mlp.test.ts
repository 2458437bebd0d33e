import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '@crypto-predict/core';
import { mlpProbabilities, trainMlp } from './mlp.js';

describe('MLP head', () => {
  it('learns XOR, which no linear head can', () => {
    const random = seededRandom(5);
    const features: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 400; i += 1) {
      const a = random() > 0.5 ? 1 : 0;
      const b = random() > 0.5 ? 1 : 0;
      features.push([a + (random() - 0.5) * 0.2, b + (random() - 0.5) * 0.2]);
      labels.push(a === b ? 0 : 1);
    }
    const model = trainMlp(features, labels, {
      classes: 2,
      hidden: 16,
      epochs: 200,
      batchSize: 32,
      learningRate: 0.01,
      l2: 0,
      seed: 3,
    });
    const correct = features.filter((x, i) => {
      const p = mlpProbabilities(model, x);
      return (p[1] ?? 0) > (p[0] ?? 0) === (labels[i] === 1);
    }).length;
    assert.ok(correct / features.length > 0.95, `XOR is learned (accuracy ${correct / features.length})`);
  });

  it('is deterministic for a seed', () => {
    const options = { classes: 3, hidden: 4, epochs: 3, batchSize: 2, learningRate: 0.01, l2: 0, seed: 11 };
    const x = [
      [0, 1],
      [1, 0],
      [1, 1],
    ];
    assert.deepEqual(trainMlp(x, [0, 1, 2], options), trainMlp(x, [0, 1, 2], options));
  });
});
