import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classificationReport } from './classification-metrics.js';
import { balancedClassWeights, predictProbabilities, trainSoftmax } from './logistic-regression.js';
import { seededRandom } from '@crypto-predict/core';

describe('softmax regression', () => {
  it('learns three separable clusters', () => {
    const random = seededRandom(3);
    const centres = [
      [1, 0],
      [0, 1],
      [-1, -1],
    ];
    const features: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 300; i += 1) {
      const label = i % 3;
      const centre = centres[label] ?? [0, 0];
      features.push([(centre[0] ?? 0) + (random() - 0.5) * 0.4, (centre[1] ?? 0) + (random() - 0.5) * 0.4]);
      labels.push(label);
    }
    const model = trainSoftmax(features, labels, { classes: 3, epochs: 50, batchSize: 32, learningRate: 0.05, l2: 0 });
    const predicted = features.map((x) => {
      const p = predictProbabilities(model, x);
      return p.indexOf(Math.max(...p));
    });
    const accuracy = predicted.filter((p, i) => p === labels[i]).length / labels.length;
    assert.ok(accuracy > 0.98, `separable clusters are learned (accuracy ${accuracy})`);
    const p = predictProbabilities(model, [1, 0]);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9, 'probabilities sum to 1');
  });

  it('is deterministic for a seed', () => {
    const features = [
      [1, 2],
      [2, 1],
      [0, 0],
      [3, 3],
    ];
    const labels = [0, 1, 2, 0];
    const options = { classes: 3, epochs: 5, batchSize: 2, learningRate: 0.1, l2: 0.01, seed: 9 };
    assert.deepEqual(trainSoftmax(features, labels, options), trainSoftmax(features, labels, options));
  });

  it('weighs rare classes up', () => {
    assert.deepEqual(balancedClassWeights([0, 0, 0, 1], 2), [4 / 6, 2]);
  });
});

describe('classificationReport', () => {
  it('computes accuracy and macro-F1 as in a hand count', () => {
    // truth:     bull bull bear neut neut neut
    // predicted: bull neut bear neut bull neut
    const report = classificationReport(
      ['bullish', 'bullish', 'bearish', 'neutral', 'neutral', 'neutral'],
      ['bullish', 'neutral', 'bearish', 'neutral', 'bullish', 'neutral'],
    );
    assert.equal(report.accuracy, 4 / 6);
    // bullish P=1/2 R=1/2 F1=.5; bearish 1/1/1; neutral P=2/3 R=2/3 F1=2/3
    assert.ok(Math.abs(report.macroF1 - (0.5 + 1 + 2 / 3) / 3) < 1e-12, 'macro-F1 is the mean of per-label F1');
    assert.equal(report.confusion.neutral.bullish, 1);
  });
});
