import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FEATURE_SCHEMA_VERSION, FeatureRow, type Candle } from '@crypto-predict/core';
import { loadFeatureSet } from '../../adapters/feature-config-file.js';
import { realCandles, SPANS } from '../../testing/real-candles.js';
import { compileFeatureConfig } from './feature-config.js';
import { FeatureEngine, type SeriesSnapshot } from './feature-engine.js';

const featureSet = loadFeatureSet();

function rowsOf(engine: FeatureEngine, candles: readonly Candle[]): FeatureRow[] {
  return candles.flatMap((candle) => {
    const outcome = engine.apply(candle);
    return outcome.kind === 'rows' ? outcome.rows : [];
  });
}

/** The last row emitted for each time: what the online store ends up with. */
function lastPerTime(rows: readonly FeatureRow[]): FeatureRow[] {
  const byTime = new Map<number, FeatureRow>();
  for (const row of rows) byTime.set(row.time, row);
  return [...byTime.values()];
}

describe('FeatureEngine', () => {
  it('emits one valid FeatureRow per candle at its close time, null only while warming up', async () => {
    const candles = await realCandles(SPANS.volatile, 2000);
    const rows = rowsOf(new FeatureEngine(featureSet), candles);
    assert.equal(rows.length, candles.length, 'one row per candle');
    rows.forEach((row, i) => {
      const candle = candles[i];
      assert.ok(candle !== undefined && FeatureRow.safeParse(row).success, `row ${i} satisfies the FeatureRow schema`);
      assert.equal(row.time, candle.closeTime, 'time is the close time of the candle');
      assert.equal(row.close, candle.close, 'close is the candle close');
      assert.equal(row.featureSchemaVersion, FEATURE_SCHEMA_VERSION, 'the core schema version');
      assert.deepEqual(
        Object.keys(row.features),
        featureSet.features.map((f) => f.name),
        'every configured feature, in config order',
      );
    });
    const last = rows.at(-1);
    assert.ok(last !== undefined);
    for (const [name, value] of Object.entries(last.features))
      assert.ok(value !== null, `${name} is warm after 2,000 bars`);
    assert.equal(rows[0]?.features.log_return_1, null, 'log_return_1 is null on the first bar');
    assert.ok(rows[1]?.features.log_return_1 !== null, 'and known from the second');
  });

  it('computes the same scale-free features for the same market at 8× the price', async () => {
    const candles = await realCandles(SPANS.quiet, 2000);
    const scaled = candles.map((c) => ({
      ...c,
      open: c.open * 8,
      high: c.high * 8,
      low: c.low * 8,
      close: c.close * 8,
      vwap: c.vwap * 8,
    }));
    const original = rowsOf(new FeatureEngine(featureSet), candles);
    const expensive = rowsOf(new FeatureEngine(featureSet), scaled);
    original.forEach((row, i) => {
      for (const [name, value] of Object.entries(row.features)) {
        const other = expensive[i]?.features[name];
        if (value === null) {
          assert.equal(other, null, `${name}[${i}] warms up the same way`);
        } else {
          assert.ok(
            typeof other === 'number' && Math.abs(other - value) <= 1e-12 * Math.max(1, Math.abs(value)),
            `${name}[${i}] does not depend on the price level (${value} vs ${other})`,
          );
        }
      }
    });
  });

  it('a revised last bar replaces its row, and the stream ends where a replay of the final candles does', async () => {
    const candles = await realCandles(SPANS.volatile, 600);
    const live: FeatureRow[] = [];
    const engine = new FeatureEngine(featureSet);
    candles.forEach((candle, i) => {
      if (i % 7 === 3) {
        // First a provisional version of the bar, then the final one as revision 1.
        const provisional = {
          ...candle,
          close: candle.close * 1.001,
          high: Math.max(candle.high, candle.close * 1.001),
          volume: candle.volume / 2,
        };
        const first = engine.apply(provisional);
        assert.ok(first.kind === 'rows' && !first.revised, 'the provisional bar is a new bar');
        live.push(...first.rows);
        const revised = engine.apply({ ...candle, revision: 1 });
        assert.ok(
          revised.kind === 'rows' && revised.revised && revised.rows.length === 1,
          'revision 1 replaces the bar',
        );
        live.push(...revised.rows);
      } else {
        const outcome = engine.apply(candle);
        assert.ok(outcome.kind === 'rows');
        live.push(...outcome.rows);
      }
    });
    const replay = rowsOf(
      new FeatureEngine(featureSet),
      candles.map((c, i) => (i % 7 === 3 ? { ...c, revision: 1 } : c)),
    );
    assert.deepEqual(lastPerTime(live), replay, 'after revisions, live rows equal the replay bit for bit');
  });

  it('ignores duplicates, stale revisions and late revisions, and says which', async () => {
    const candles = await realCandles(SPANS.volatile, 10);
    const engine = new FeatureEngine(featureSet);
    for (const candle of candles) engine.apply(candle);
    const [first] = candles;
    const last = candles.at(-1);
    assert.ok(first !== undefined && last !== undefined);
    assert.deepEqual(engine.apply(last), { kind: 'ignored', reason: 'duplicate' }, 'the same bar and revision again');
    assert.equal(engine.apply({ ...last, revision: 2 }).kind, 'rows', 'a higher revision is applied');
    assert.deepEqual(
      engine.apply({ ...last, revision: 1 }),
      { kind: 'ignored', reason: 'stale-revision' },
      'a lower revision after it',
    );
    assert.deepEqual(
      engine.apply({ ...first, revision: 1 }),
      { kind: 'ignored', reason: 'late-revision' },
      'a revision of an older bar',
    );
    assert.deepEqual(
      engine.apply(first),
      { kind: 'ignored', reason: 'duplicate' },
      'an older bar at revision 0 is a redelivery',
    );
    assert.deepEqual(
      engine.apply({ ...last, timeframe: '3m' }),
      { kind: 'ignored', reason: 'timeframe' },
      'an unconfigured timeframe',
    );
  });

  it('fills a hole in the series with empty bars at the last close, up to the configured size', async () => {
    const candles = await realCandles(SPANS.volatile, 40);
    const withHole = [...candles.slice(0, 20), ...candles.slice(25)];
    const engine = new FeatureEngine(featureSet);
    const rows: FeatureRow[] = [];
    let filled = 0;
    for (const candle of withHole) {
      const outcome = engine.apply(candle);
      assert.ok(outcome.kind === 'rows');
      filled += outcome.gapFilled;
      rows.push(...outcome.rows);
    }
    assert.equal(filled, 5, 'five missing minutes are filled');
    assert.deepEqual(
      rows.map((r) => r.time),
      candles.map((c) => c.closeTime),
      'one row per minute, no hole',
    );
    assert.equal(rows[22]?.close, candles[19]?.close, 'a filled bar carries the last close');

    const strict = new FeatureEngine(
      compileFeatureConfig({
        version: 1,
        timeframes: ['1m'],
        gapFill: { maxBars: 3 },
        features: [{ name: 'r', indicator: 'log_return' }],
      }),
    );
    const strictRows = rowsOf(strict, withHole);
    assert.equal(strictRows.length, withHole.length, 'a hole longer than maxBars is not filled');
  });

  it('restores from a JSON snapshot mid-stream and goes on exactly as if never stopped', async () => {
    const candles = await realCandles(SPANS.volatile, 1500);
    const straight = rowsOf(new FeatureEngine(featureSet), candles);
    const before = new FeatureEngine(featureSet);
    const head = rowsOf(before, candles.slice(0, 900));
    const snapshot = JSON.parse(JSON.stringify(before.snapshot('BTC/USDT', '1m'))) as SeriesSnapshot;
    const after = new FeatureEngine(featureSet);
    assert.ok(after.restore(snapshot), 'a snapshot of the same feature set restores');
    assert.ok(after.has('BTC/USDT', '1m'), 'the series is known after the restore');
    const tail = rowsOf(after, candles.slice(900));
    assert.deepEqual([...head, ...tail], straight, 'no gap and no second warm-up: rows equal an uninterrupted run');
    const other = new FeatureEngine(
      compileFeatureConfig({ version: 1, timeframes: ['1m'], features: [{ name: 'rsi', indicator: 'rsi' }] }),
    );
    assert.equal(other.restore(snapshot), false, 'a snapshot of another feature set is refused');
  });
});
