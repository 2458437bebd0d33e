import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectSetting, type ValidatedSetting } from './setting-selection.js';

const entry = (setting: string, perSet: number[]): ValidatedSetting<string> => ({
  setting,
  perSet,
  mean: perSet.reduce((a, b) => a + b, 0) / perSet.length,
});
// sets: [phrasebank, twitter, cryptolin]
const rule = { target: 2, floorSet: 0, floor: 0.75 };

describe('selectSetting', () => {
  it('takes the best target-set score among the settings that clear the floor', () => {
    const compared = [entry('a', [0.8, 0.75, 0.64]), entry('b', [0.76, 0.7, 0.67]), entry('c', [0.74, 0.7, 0.69])];
    assert.equal(selectSetting(compared, rule)?.setting, 'b', 'c has the best target score but misses the floor');
  });

  it('falls back to the best mean when no setting clears the floor', () => {
    const compared = [entry('a', [0.7, 0.7, 0.6]), entry('b', [0.74, 0.72, 0.62]), entry('c', [0.6, 0.6, 0.7])];
    assert.equal(selectSetting(compared, rule)?.setting, 'b');
  });

  it('keeps the earlier of two equal settings, and has nothing to choose from an empty grid', () => {
    assert.equal(selectSetting([entry('a', [0.8, 0.7, 0.66]), entry('b', [0.9, 0.8, 0.66])], rule)?.setting, 'a');
    assert.equal(selectSetting([], rule), undefined);
  });
});
