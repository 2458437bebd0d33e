import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realCandles, SPANS } from '../../testing/real-candles.js';
import { INDICATOR_CATALOG } from './catalog.js';
import { Ema } from './ema/ema.js';
import { Checkpoint } from './indicator.js';
import { Macd } from './macd/macd.js';

describe('Indicator hot path', () => {
  it('gives every indicator class its own compiled advance, so parents call children monomorphically', () => {
    const advances = new Set<unknown>();
    for (const spec of INDICATOR_CATALOG.values()) {
      const prototype = Object.getPrototypeOf(spec.create(spec.params.parse({})).indicator) as object;
      assert.ok(Object.prototype.hasOwnProperty.call(prototype, 'advance'), `${spec.kind} has its own advance`);
      advances.add((prototype as { advance: unknown }).advance);
    }
    assert.equal(advances.size, INDICATOR_CATALOG.size, 'no two catalog kinds share one advance function');
  });

  it('a Checkpoint over several indicators makes advance-with-replace exact for all of them', async () => {
    const candles = await realCandles(SPANS.volatile, 300);
    const revised = [new Ema(20), new Macd(12, 26, 9)] as const;
    const straight = [new Ema(20), new Macd(12, 26, 9)] as const;
    const checkpoint = new Checkpoint(revised);
    candles.forEach((candle, index) => {
      checkpoint.save();
      revised[0].advance(candle.close * 1.01, false);
      revised[1].advance(candle.close * 1.01, false);
      checkpoint.restore();
      revised[0].advance(candle.close, true);
      revised[1].advance(candle.close, true);
      straight[0].update(candle.close);
      straight[1].update(candle.close);
      assert.deepEqual(revised[0].value, straight[0].value, `bar ${index}: EMA as if never revised`);
      assert.deepEqual(revised[1].value, straight[1].value, `bar ${index}: MACD as if never revised`);
      assert.deepEqual(revised[1].toJSON(), straight[1].toJSON(), `bar ${index}: the same state`);
    });
    assert.ok(revised[1].isWarm, 'MACD warmed up within 300 bars');
  });
});
