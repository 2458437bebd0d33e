import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { horizonPerformance } from './performance.js';

describe('horizonPerformance', () => {
  it('computes MAE, RMSE, directional accuracy, coverage and the naive comparison from sums', () => {
    // Errors 1, -2, 3 (abs 1, 2, 3; squares 1, 4, 9); naive abs errors 2, 2, 2.
    const result = horizonPerformance({
      horizon: 5,
      count: 3,
      sumAbsError: 6,
      sumSquaredError: 14,
      directionKnown: 2,
      directionCorrect: 1,
      intervalKnown: 3,
      inInterval: 2,
      naiveCount: 3,
      sumNaiveAbsError: 6,
      sumNaiveSquaredError: 12,
    });
    assert.equal(result.mae, 2);
    assert.equal(result.rmse, Math.sqrt(14 / 3));
    assert.equal(result.directionalAccuracy, 0.5);
    assert.equal(result.coverage, 2 / 3);
    assert.deepEqual(result.naive, { count: 3, mae: 2, rmse: 2 });
    assert.equal(result.maeRatioVsNaive, 1);
  });

  it('gives null for metrics with nothing to average', () => {
    const result = horizonPerformance({
      horizon: 1,
      count: 0,
      sumAbsError: 0,
      sumSquaredError: 0,
      directionKnown: 0,
      directionCorrect: 0,
      intervalKnown: 0,
      inInterval: 0,
      naiveCount: 0,
      sumNaiveAbsError: 0,
      sumNaiveSquaredError: 0,
    });
    assert.deepEqual(
      [result.mae, result.rmse, result.directionalAccuracy, result.coverage, result.naive.mae, result.maeRatioVsNaive],
      [null, null, null, null, null, null],
    );
  });
});
