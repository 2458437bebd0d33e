import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppError, FEATURE_SCHEMA_VERSION, type FeatureRow } from '@crypto-predict/core';
import { tableFromIPC } from 'apache-arrow';
import {
  createPool,
  exportTrainingFrameArrow,
  FeatureStoreWriter,
  latestFeatures,
  migrate,
  SQL_DIR,
  trainingFrame,
} from '../src/index.js';
import { createTestSchema, type TestSchema } from '../src/testing.js';

const T0 = Date.UTC(2024, 2, 5, 12);

function row(minute: number, overrides: Partial<FeatureRow> = {}): FeatureRow {
  return {
    v: 1,
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    pair: 'BTC/USDT',
    timeframe: '1m',
    time: T0 + minute * 60_000,
    close: 67_000 + minute * 0.01 + 1 / 3,
    // Values that only survive a round trip if the store keeps every bit: thirds, tiny, huge, negative zero-ish.
    features: {
      rsi_14: 100 / 3 + minute,
      log_return_1: -1.2345678901234567e-5 * (minute + 1),
      volatility_30: minute === 0 ? null : Math.PI * 1e-4,
      z: 1e-300,
    },
    ...overrides,
  };
}

describe('feature store (real PostgreSQL, a schema per test)', () => {
  let schema: TestSchema;

  before(async () => {
    schema = await createTestSchema();
    await migrate(schema.pool);
  });

  after(async () => {
    await schema.drop();
  });

  it('migrate applies each file once, records it, and refuses an applied file that changed', async () => {
    const own = await createTestSchema();
    try {
      const first = await migrate(own.pool);
      assert.deepEqual(
        first.applied,
        ['001_feature_rows.sql', '002_indicator_state.sql', '003_sentiment.sql'],
        'every file applied in order',
      );
      const second = await migrate(own.pool);
      assert.deepEqual(
        second,
        { applied: [], skipped: ['001_feature_rows.sql', '002_indicator_state.sql', '003_sentiment.sql'] },
        'a second run applies nothing',
      );
      const tables = await own.pool.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
        [own.name],
      );
      assert.deepEqual(
        tables.rows.map((r) => r.table_name),
        [
          'candle_history',
          'feature_latest',
          'feature_rows',
          'feature_store_migrations',
          'indicator_state',
          'sentiment_items',
          'sentiment_settings',
          'sentiment_steps',
        ],
        'the tables are created in the test schema',
      );
      const changed = mkdtempSync(join(tmpdir(), 'fs-sql-'));
      try {
        cpSync(SQL_DIR, changed, { recursive: true });
        writeFileSync(join(changed, '001_feature_rows.sql'), '-- edited\n', { flag: 'a' });
        await assert.rejects(
          migrate(own.pool, { dir: changed }),
          /was changed after it was applied/,
          'an edited applied file is an error',
        );
      } finally {
        rmSync(changed, { recursive: true, force: true });
      }
    } finally {
      await own.drop();
    }
  });

  it('round-trips rows exactly and returns the training frame in time order within [from, to)', async () => {
    const writer = new FeatureStoreWriter(schema.pool, { batchSize: 7 });
    const rows = Array.from({ length: 30 }, (_, minute) => row(minute, { pair: 'ETH/USDT' }));
    const result = await writer.write([...rows].reverse());
    assert.deepEqual(result, { rows: 30, latest: 1 }, '30 rows in 5 batches, one latest row');
    const frame = await trainingFrame(schema.pool, {
      pair: 'ETH/USDT',
      timeframe: '1m',
      from: T0 + 5 * 60_000,
      to: T0 + 25 * 60_000,
    });
    assert.deepEqual(
      frame,
      rows.slice(5, 25),
      'every value comes back bit for bit, nulls included, oldest first, to exclusive',
    );
    const projected = await trainingFrame(schema.pool, {
      pair: 'ETH/USDT',
      timeframe: '1m',
      from: T0,
      to: T0 + 2 * 60_000,
      features: ['volatility_30', 'missing'],
    });
    assert.deepEqual(
      projected.map((r) => r.features),
      [
        { volatility_30: null, missing: null },
        { volatility_30: Math.PI * 1e-4, missing: null },
      ],
      'projection keeps the asked order',
    );
  });

  it('is idempotent, lets a revised row replace the old one, and never moves the latest row back', async () => {
    const writer = new FeatureStoreWriter(schema.pool);
    const rows = Array.from({ length: 10 }, (_, minute) => row(minute, { pair: 'SOL/USDT' }));
    await writer.write(rows);
    await writer.write(rows);
    const count = await schema.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM feature_rows WHERE pair = 'SOL/USDT'`,
    );
    assert.equal(Number(count.rows[0]?.n), 10, 'writing the same rows twice leaves 10 rows');

    const revised = row(9, { pair: 'SOL/USDT', close: 1, features: { rsi_14: 50 } });
    await writer.write([revised]);
    assert.deepEqual(
      await latestFeatures(schema.pool, 'SOL/USDT', '1m'),
      revised,
      'a revision of the newest row updates the latest row',
    );
    const frame = await trainingFrame(schema.pool, { pair: 'SOL/USDT', timeframe: '1m', from: T0, to: T0 + 3_600_000 });
    assert.deepEqual(frame.at(-1), revised, 'and replaces the history row');

    await writer.write([row(3, { pair: 'SOL/USDT' })]);
    assert.deepEqual(
      await latestFeatures(schema.pool, 'SOL/USDT', '1m'),
      revised,
      'an older row never replaces the latest one',
    );
    assert.equal(await latestFeatures(schema.pool, 'SOL/USDT', '5m'), undefined, 'no latest row for an unknown series');
  });

  it('collapses repeats of a key within one write to the last one', async () => {
    const writer = new FeatureStoreWriter(schema.pool);
    const first = row(0, { pair: 'ADA/USDT' });
    const second = row(0, { pair: 'ADA/USDT', features: { rsi_14: 1 } });
    assert.deepEqual(await writer.write([first, second]), { rows: 1, latest: 1 }, 'one row for one key');
    const frame = await trainingFrame(schema.pool, { pair: 'ADA/USDT', timeframe: '1m', from: T0, to: T0 + 60_000 });
    assert.deepEqual(frame, [second], 'the later version wins');
  });

  it('reports an unreachable database as a retryable STORE_UNAVAILABLE', async () => {
    const pool = createPool('postgres://crypto:crypto@127.0.0.1:1/crypto');
    try {
      await assert.rejects(
        new FeatureStoreWriter(pool).write([row(0)]),
        (error: unknown) => error instanceof AppError && error.code === 'STORE_UNAVAILABLE' && error.retryable,
        'a connection failure is STORE_UNAVAILABLE and retryable',
      );
    } finally {
      await pool.end();
    }
  });
});

describe('Arrow export (real PostgreSQL)', () => {
  let schema: TestSchema;

  before(async () => {
    schema = await createTestSchema();
    await migrate(schema.pool);
  });

  after(async () => {
    await schema.drop();
  });

  it('writes the training frame as an Arrow IPC file: time, close and one float64 column per feature, nulls kept', async () => {
    const rows = Array.from({ length: 50 }, (_, minute) => row(minute));
    await new FeatureStoreWriter(schema.pool).write(rows);
    const dir = mkdtempSync(join(tmpdir(), 'fs-arrow-'));
    try {
      const path = join(dir, 'frame.arrow');
      const result = await exportTrainingFrameArrow(schema.pool, {
        pair: 'BTC/USDT',
        timeframe: '1m',
        from: T0,
        to: T0 + 3_600_000,
        path,
        chunkMs: 20 * 60_000,
      });
      assert.deepEqual(
        result.columns,
        ['time', 'close', 'log_return_1', 'rsi_14', 'volatility_30', 'z'],
        'time, close, then features by name',
      );
      assert.equal(result.rows, 50, 'every row exported');
      assert.equal(result.batches, 3, 'in time chunks');
      const table = tableFromIPC(readFileSync(path));
      assert.equal(table.numRows, 50, 'the file holds every row');
      const column = (name: string) => table.getChild(name)?.toArray() as ArrayLike<unknown>;
      rows.forEach((expected, i) => {
        assert.equal(Number(column('time')[i]), expected.time, `time[${i}] in epoch ms`);
        assert.equal(column('close')[i], expected.close, `close[${i}] exact`);
        assert.equal(
          table.getChild('volatility_30')?.get(i),
          expected.features.volatility_30,
          `volatility_30[${i}] exact, null kept`,
        );
        assert.equal(column('rsi_14')[i], expected.features.rsi_14, `rsi_14[${i}] exact`);
      });
      await assert.rejects(
        exportTrainingFrameArrow(schema.pool, {
          pair: 'XRP/USDT',
          timeframe: '1m',
          from: T0,
          to: T0 + 60_000,
          path: join(dir, 'none.arrow'),
        }),
        (error: unknown) => error instanceof AppError && error.code === 'NOT_FOUND',
        'an empty frame is NOT_FOUND',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
