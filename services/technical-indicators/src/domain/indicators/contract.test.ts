import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom, type Candle } from '@crypto-predict/core';
import { realCandles } from '../../testing/real-candles.js';
import type { Bar } from './bar.js';
import { INDICATOR_CATALOG, type BarIndicator, type IndicatorSpec } from './catalog.js';
import { NotWarmedUpError } from './indicator.js';

/** A plausible revision of a bar: prices, volumes and trade count moved a little. */
function revise(bar: Candle, next: () => number): Bar {
  const move = () => 1 + (next() - 0.5) * 0.004;
  const close = bar.close * move();
  const high = Math.max(bar.high * move(), close);
  const low = Math.min(bar.low * move(), close);
  const volume = bar.volume * (0.5 + next());
  const buyVolume = volume * next();
  return {
    ...bar,
    close,
    high,
    low,
    volume,
    buyVolume,
    sellVolume: volume - buyVolume,
    vwap: (high + low) / 2,
    trades: bar.trades + Math.floor(next() * 50),
  };
}

/** A JSON round trip that also reverses every object's key order, as PostgreSQL's jsonb may reorder keys. */
function throughJsonb<T>(value: T): T {
  const reorder = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(reorder);
    if (item !== null && typeof item === 'object')
      return Object.fromEntries(
        Object.entries(item)
          .reverse()
          .map(([k, v]) => [k, reorder(v)]),
      );
    return item;
  };
  return reorder(JSON.parse(JSON.stringify(value))) as T;
}

function make(spec: IndicatorSpec): BarIndicator {
  return spec.create(spec.params.parse({}));
}

// Starts in the morning so that the session VWAP sees a UTC midnight within the span.
const FROM = Date.UTC(2024, 2, 5, 8);
const BARS = 1200;

describe('every indicator in the catalog keeps the streaming contract', () => {
  for (const spec of INDICATOR_CATALOG.values()) {
    describe(spec.kind, () => {
      it('returns nothing until warm, then a value on every bar; valueOrThrow throws a NotWarmedUpError before', async () => {
        const candles = await realCandles(FROM, BARS);
        const indicator = make(spec);
        assert.throws(
          () => indicator.valueOrThrow(),
          NotWarmedUpError,
          'valueOrThrow before any bar throws NotWarmedUpError',
        );
        let firstValue = -1;
        candles.forEach((candle, index) => {
          const value = indicator.update(candle);
          assert.equal(indicator.isWarm, value !== undefined, `isWarm says whether bar ${index} had a value`);
          if (value === undefined) {
            assert.equal(firstValue, -1, `no gap after the first value (bar ${index})`);
            assert.throws(() => indicator.valueOrThrow(), NotWarmedUpError, 'valueOrThrow while warming throws');
          } else {
            if (firstValue === -1) firstValue = index;
            assert.deepEqual(indicator.valueOrThrow(), value, 'valueOrThrow returns the value once warm');
          }
        });
        assert.notEqual(firstValue, -1, `${spec.kind} warms up within ${BARS} bars`);
        if (spec.countWarmup)
          assert.equal(firstValue, indicator.lookback, 'the first value comes after exactly `lookback` bars');
        else assert.ok(firstValue >= indicator.lookback, 'a data-dependent warm-up is never shorter than the lookback');
      });

      it('replace(b) after update(a) equals update(b), bit for bit, on every bar and through the warm-up', async () => {
        const candles = await realCandles(FROM, BARS);
        const next = seededRandom(spec.kind.length * 7919);
        const revised = make(spec);
        const straight = make(spec);
        candles.forEach((candle, index) => {
          revised.update(revise(candle, next));
          if (next() < 0.3) revised.replace(revise(candle, next));
          const got = revised.replace(candle);
          const want = straight.update(candle);
          assert.deepEqual(got, want, `bar ${index}: a replaced bar leaves no trace`);
        });
      });

      it('replace before any bar is an update', async () => {
        const [first] = await realCandles(FROM, 1);
        assert.ok(first !== undefined, 'a candle to feed');
        const replaced = make(spec);
        const updated = make(spec);
        assert.deepEqual(replaced.replace(first), updated.update(first), 'the same output');
        assert.deepEqual(replaced.toJSON(), updated.toJSON(), 'the same state');
      });

      it('a JSON snapshot (keys in any order) restores to the same state: the same values after, and a replace still works', async () => {
        const candles = await realCandles(FROM, BARS);
        const next = seededRandom(spec.kind.length * 104729);
        const original = make(spec);
        let restored = make(spec);
        candles.forEach((candle, index) => {
          const want = original.update(candle);
          const got = restored.update(candle);
          assert.deepEqual(got, want, `bar ${index}: the restored copy gives the same value`);
          if (next() < 0.05) {
            const copy = make(spec);
            copy.restore(throughJsonb(restored.toJSON()));
            restored = copy;
            const revision = revise(candle, next);
            assert.deepEqual(
              restored.replace(revision),
              original.replace(revision),
              `bar ${index}: a replace right after a restore agrees`,
            );
            restored.replace(candle);
            original.replace(candle);
          }
        });
      });

      it("declares the catalog's output lines, in the slots the feature engine reads", () => {
        const indicator = make(spec).indicator;
        const lines = indicator.lines ?? ['value'];
        assert.deepEqual([...lines].sort(), Object.keys(spec.lines).sort(), 'the same line names as the catalog');
        assert.equal(indicator.out.length, lines.length, 'one output slot per line');
        lines.forEach((line, slot) => assert.equal(indicator.lineIndex(line), slot, `${line} is in slot ${slot}`));
        assert.throws(() => indicator.lineIndex('no_such_line'), RangeError, 'an unknown line is refused');
      });

      it('refuses a snapshot of another kind or other parameters', () => {
        const indicator = make(spec);
        const state = indicator.toJSON();
        assert.throws(
          () => indicator.restore({ ...state, kind: 'something-else' }),
          RangeError,
          'another kind is refused',
        );
        assert.throws(
          () => indicator.restore({ ...state, params: { other: 1 } }),
          RangeError,
          'other parameters are refused',
        );
      });
    });
  }
});
