import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scoreHorizon, type ScoredRow } from './score.js';

const row = (over: Partial<ScoredRow>): ScoredRow => ({
  close: 100,
  actual: 100,
  predictedPrice: 100,
  predictedLogReturn: 0,
  lower: 99,
  upper: 101,
  volatility: 1,
  ...over,
});

describe('scoreHorizon', () => {
  it('computes MAE against naive, direction where the price moved, coverage and width by hand', () => {
    const rows = [
      // up 2: predicted up 1 (right direction, error 1), outside [99, 101]
      row({ actual: 102, predictedPrice: 101, predictedLogReturn: Math.log(1.01), volatility: 1 }),
      // down 1: predicted up (wrong), error 2, inside
      row({ actual: 99, predictedPrice: 101, predictedLogReturn: Math.log(1.01), volatility: 2 }),
      // no move: not counted for direction, error 0, inside
      row({ actual: 100, volatility: 3 }),
    ];
    const score = scoreHorizon(rows);
    assert.equal(score.rows, 3);
    assert.equal(score.mae, (1 + 2 + 0) / 3, 'model MAE in price units');
    assert.equal(score.mae_naive, (2 + 1 + 0) / 3, 'naive MAE: |close − actual|');
    assert.equal(score.mae_ratio_vs_naive, 1);
    assert.equal(score.directional_accuracy, 0.5, 'one right of the two rows where the price moved');
    assert.equal(score.coverage_90, 2 / 3);
    assert.deepEqual(score.coverage_90_by_vol_tercile, [0, 1, 1], 'the calm row is the one missed');
    assert.equal(score.mean_width_pct, 2);
  });

  it('counts a zero prediction as a wrong direction, like the trainer', () => {
    const score = scoreHorizon([row({ actual: 101 }), row({ actual: 99 })]);
    assert.equal(score.directional_accuracy, 0);
  });

  it('refuses an empty horizon instead of reporting NaN', () => {
    assert.throws(() => scoreHorizon([]), /no scored rows/);
  });
});
