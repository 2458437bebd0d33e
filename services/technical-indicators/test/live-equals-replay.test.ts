import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger, type Candle, type FeatureRow } from '@crypto-predict/core';
import { FeatureStoreWriter, migrate, trainingFrame } from '@crypto-predict/feature-store';
import { createTestSchema, type TestSchema } from '@crypto-predict/feature-store/testing';
import { runBackfill } from '../src/adapters/backfill.js';
import { CandleProcessor } from '../src/adapters/candle-processor.js';
import { loadFeatureSet } from '../src/adapters/feature-config-file.js';
import { IndicatorStateStore } from '../src/adapters/state-store.js';
import { FeatureEngine } from '../src/domain/features/feature-engine.js';
import { realCandles } from '../src/testing/real-candles.js';

const log = createLogger('test', 'silent');
const featureSet = loadFeatureSet();
// 3,000 real minutes across a UTC midnight (the session VWAP starts there).
const FROM = Date.UTC(2024, 7, 4, 20);
const COUNT = 3000;

function iterate(candles: readonly Candle[]): AsyncIterable<Candle> {
  return {
    [Symbol.asyncIterator]: () => {
      let index = 0;
      return {
        next: () =>
          Promise.resolve(
            index < candles.length
              ? { value: candles[index++] as Candle, done: false }
              : { value: undefined, done: true },
          ),
      };
    },
  };
}

function liveProcessor(engine: FeatureEngine, state: IndicatorStateStore, published: FeatureRow[]): CandleProcessor {
  return new CandleProcessor({
    engine,
    publish: (rows) => {
      published.push(...rows);
      return Promise.resolve();
    },
    state,
    log,
    warmupCandles: 2000,
    keepCandles: true,
  });
}

function relativeDifference(a: number, b: number): number {
  return a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

describe('live equals replay (real PostgreSQL)', () => {
  let schema: TestSchema;
  let candles: Candle[];

  before(async () => {
    schema = await createTestSchema('ti_test');
    await migrate(schema.pool);
    candles = await realCandles(FROM, COUNT);
  });

  after(async () => {
    await schema.drop();
  });

  it('candles fed one by one through the service path, with a restart, give exactly the rows the backfill stored', async () => {
    const backfill = await runBackfill({
      candles: iterate(candles),
      engine: new FeatureEngine(featureSet),
      write: (rows) => new FeatureStoreWriter(schema.pool).write(rows),
      batchSize: 700,
    });
    assert.equal(backfill.rows, COUNT, 'the backfill wrote one row per candle');
    const stored = await trainingFrame(schema.pool, {
      pair: 'BTC/USDT',
      timeframe: '1m',
      from: FROM,
      to: FROM + (COUNT + 1) * 60_000,
    });
    assert.equal(stored.length, COUNT, 'every backfilled row is in the store');

    // The live path, one candle per batch, snapshotting to indicator_state; a restart after 1,700.
    const state = new IndicatorStateStore(schema.pool);
    const live: FeatureRow[] = [];
    const first = liveProcessor(new FeatureEngine(featureSet), state, live);
    for (const candle of candles.slice(0, 1700)) await first.handle([candle]);

    const restarted = new FeatureEngine(featureSet);
    const snapshots = await state.load(featureSet.hash);
    assert.equal(snapshots.length, 1, 'one snapshot for BTC/USDT 1m');
    assert.ok(
      snapshots.every((snapshot) => restarted.restore(snapshot)),
      'the restarted engine restores it',
    );
    const second = liveProcessor(restarted, state, live);
    for (const candle of candles.slice(1700)) await second.handle([candle]);

    assert.deepEqual(live, stored, 'live rows equal the stored backfill rows, bit for bit, with no gap at the restart');
  });

  it('a series without a snapshot warms up from candle_history to within 1e-6 of an uninterrupted run', async (t) => {
    // candle_history holds the 3,000 candles from the first test; a fresh engine with no snapshot
    // replays the last 2,000 before the next candle.
    const straight = new FeatureEngine(featureSet);
    const expected = candles.map((candle) => {
      const outcome = straight.apply(candle);
      assert.ok(outcome.kind === 'rows');
      return outcome.rows[0];
    });
    const state = new IndicatorStateStore(schema.pool);
    const rows: FeatureRow[] = [];
    const processor = liveProcessor(new FeatureEngine(featureSet), state, rows);
    // Pretend the last 100 candles arrive after a cold start: the engine must warm up from history first.
    await schema.pool.query(
      `DELETE FROM candle_history WHERE open_time >= 'epoch'::timestamptz + $1::bigint * interval '1 millisecond'`,
      [candles[COUNT - 100]?.openTime],
    );
    for (const candle of candles.slice(COUNT - 100)) await processor.handle([candle]);
    assert.equal(rows.length, 100, 'a row for each new candle, none for the replayed history');
    // Not bit-exact, and not meant to be: recursive indicators (EMA, Wilder) remember every bar
    // before the 2,000 replayed, and TA-Lib's running sums (E[x²] − E[x]² for Bollinger) carry
    // rounding from where they started. The snapshot path above is the exact one.
    const worst = new Map<string, number>();
    rows.forEach((row, i) => {
      const want = expected[COUNT - 100 + i];
      assert.ok(want !== undefined);
      assert.equal(row.time, want.time, 'same bar');
      for (const [name, value] of Object.entries(want.features)) {
        const got = row.features[name];
        assert.ok(value !== null && typeof got === 'number', `${name} is known after a 2,000-bar warm-up`);
        const difference = relativeDifference(got, value);
        worst.set(name, Math.max(worst.get(name) ?? 0, difference));
        assert.ok(difference <= 1e-6, `${name} at ${row.time}: ${got} vs ${value} after warming up from history`);
      }
    });
    t.diagnostic(
      `max relative difference after a history warm-up: ${[...worst].map(([name, d]) => `${name} ${d.toExponential(1)}`).join(', ')}`,
    );
  });

  it('a training frame is point in time: rewriting the rows after a changed future candle leaves every earlier row as it was', async () => {
    const pair = 'PIT/USDT';
    const relabel = (list: readonly Candle[]) => list.map((candle) => ({ ...candle, pair }));
    const writer = new FeatureStoreWriter(schema.pool);
    const rowsOf = (list: readonly Candle[]) => {
      const engine = new FeatureEngine(featureSet);
      return list.flatMap((candle) => {
        const outcome = engine.apply(candle);
        return outcome.kind === 'rows' ? outcome.rows : [];
      });
    };
    const span = relabel(candles.slice(0, 1200));
    await writer.write(rowsOf(span));
    const frame = () => trainingFrame(schema.pool, { pair, timeframe: '1m', from: FROM, to: FROM + 2000 * 60_000 });
    const before = await frame();
    const k = 800;
    const changed = span.map((candle, i) =>
      i === k ? { ...candle, close: candle.close * 1.05, high: candle.high * 1.05, volume: candle.volume * 4 } : candle,
    );
    await writer.write(rowsOf(changed));
    const afterChange = await frame();
    const cut = span[k]?.closeTime ?? 0;
    assert.deepEqual(
      afterChange.filter((row) => row.time < cut),
      before.filter((row) => row.time < cut),
      'rows known before candle k closed are untouched by a different candle k',
    );
    assert.notDeepEqual(afterChange[k], before[k], 'the row of candle k itself did change');
  });
});
