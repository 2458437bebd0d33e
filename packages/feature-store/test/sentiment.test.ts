import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppError, FEATURE_SCHEMA_VERSION, Sentiment, type FeatureRow } from '@crypto-predict/core';
import { tableFromIPC } from 'apache-arrow';
import {
  createPool,
  exportTrainingFrameArrow,
  FeatureStoreWriter,
  migrate,
  SentimentStoreWriter,
  sentimentAsOf,
  sentimentFeatureNames,
  sentimentFeaturesAt,
  sentimentSettings,
  trainingFrame,
  type SentimentSettings,
} from '../src/index.js';
import { createTestSchema, type TestSchema } from '../src/testing.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2025, 10, 16, 12);
const DEFAULTS: SentimentSettings = { windows: ['1h', '4h', '24h'], halfLife: '1h', lagMs: 0 };

let sequence = 0;
function item(overrides: Partial<Sentiment> & { publishedAt: number }): Sentiment {
  sequence += 1;
  return Sentiment.parse({
    v: 1,
    newsId: `n${sequence}`,
    coin: 'BTC',
    score: 0.5,
    label: 'bullish',
    confidence: 0.8,
    reason: 'test',
    method: 'classifier',
    model: 'test-model',
    promptVersion: 'none',
    scoredAt: overrides.publishedAt + 5_000,
    receivedAt: overrides.publishedAt,
    ...overrides,
  });
}

function featureRow(time: number, pair = 'BTC/USDT'): FeatureRow {
  return {
    v: 1,
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    pair,
    timeframe: '1m',
    time,
    close: 90_000,
    features: { rsi_14: 50 },
  };
}

/**
 * An independent reference of the aggregates, written from the definition in the README: items
 * published in (t - w, t] and received by t - lag; mean; 0.5^(age/hl)-weighted mean; 0 for none.
 */
function reference(items: readonly Sentiment[], coin: string, t: number, settings: SentimentSettings) {
  const unit = { m: MINUTE, h: HOUR, d: 24 * HOUR } as const;
  const ms = (name: string) => Number(name.slice(0, -1)) * unit[name.slice(-1) as keyof typeof unit];
  const out: Record<string, number> = {};
  for (const window of settings.windows) {
    const inside = items.filter(
      (i) =>
        i.coin === coin &&
        i.publishedAt <= t &&
        i.publishedAt > t - ms(window) &&
        Math.max(i.publishedAt, i.receivedAt ?? i.publishedAt) + settings.lagMs <= t,
    );
    const weights = inside.map((i) => 0.5 ** ((t - i.publishedAt) / ms(settings.halfLife)));
    const weightSum = weights.reduce((a, b) => a + b, 0);
    out[`sentiment_${window}_count`] = inside.length;
    out[`sentiment_${window}_mean`] =
      inside.length === 0 ? 0 : inside.reduce((sum, i) => sum + i.score, 0) / inside.length;
    out[`sentiment_${window}_decay_${settings.halfLife}`] =
      inside.length === 0 ? 0 : inside.reduce((sum, i, k) => sum + i.score * (weights[k] ?? 0), 0) / weightSum;
  }
  return out;
}

function assertClose(actual: Record<string, number | null>, expected: Record<string, number>, message: string) {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${message}: the same feature names`);
  for (const [name, value] of Object.entries(expected)) {
    const got = actual[name];
    assert.ok(
      typeof got === 'number' && Math.abs(got - value) <= 1e-12 * Math.max(1, Math.abs(value)),
      `${message}: ${name} = ${String(got)}, expected ${value}`,
    );
  }
}

async function steps(schema: TestSchema): Promise<Array<{ coin: string; time: string; features: string }>> {
  const result = await schema.pool.query<{ coin: string; time: string; features: string }>(
    `SELECT coin, time::text AS time, features::text AS features FROM sentiment_steps ORDER BY coin, time`,
  );
  return result.rows;
}

describe('sentiment in the feature store (real PostgreSQL, a schema per test)', () => {
  let schema: TestSchema;

  before(async () => {
    schema = await createTestSchema('fs_sent');
    await migrate(schema.pool);
  });

  after(async () => {
    await schema.drop();
  });

  it('keeps an item published a millisecond after t out of row t, and puts it in the next row', async () => {
    await new FeatureStoreWriter(schema.pool).write([featureRow(T0, 'PIT/USDT'), featureRow(T0 + MINUTE, 'PIT/USDT')]);
    const writer = new SentimentStoreWriter(schema.pool);
    await writer.write([
      item({ coin: 'PIT', publishedAt: T0 + 1, score: -1, label: 'bearish' }),
      item({ coin: 'PIT', publishedAt: T0, score: 0.25 }),
      item({ coin: 'PIT', publishedAt: T0 - HOUR, score: 1 }), // exactly one hour old: out of the 1h window
    ]);
    const frame = await trainingFrame(schema.pool, {
      pair: 'PIT/USDT',
      timeframe: '1m',
      from: T0,
      to: T0 + 2 * MINUTE,
      sentiment: true,
    });
    assert.equal(frame.length, 2, 'two rows');
    const [atT, next] = frame;
    assert.equal(atT?.features.sentiment_1h_count, 1, 'row t sees only the item published at t (window (t-1h, t])');
    assert.equal(atT?.features.sentiment_1h_mean, 0.25, 'the item published at t+1 ms is not in row t');
    assert.equal(atT?.features.sentiment_4h_count, 2, 'the hour-old item is inside the 4h window');
    assert.equal(atT?.features.rsi_14, 50, 'the row keeps its own features');
    assert.equal(next?.features.sentiment_1h_count, 2, 'row t+1m sees the item published at t+1 ms');
    assert.equal(next?.features.sentiment_1h_mean, (0.25 - 1) / 2, 'and averages it in');
  });

  it('lets an item published before t but received after t in only from its receipt on', async () => {
    await new FeatureStoreWriter(schema.pool).write([0, 1, 2].map((m) => featureRow(T0 + m * MINUTE, 'LAG/USDT')));
    await new SentimentStoreWriter(schema.pool).write([
      item({ coin: 'LAG', publishedAt: T0 - 10 * MINUTE, receivedAt: T0 + 30_000, score: 0.8 }),
    ]);
    const frame = await trainingFrame(schema.pool, {
      pair: 'LAG/USDT',
      timeframe: '1m',
      from: T0,
      to: T0 + 3 * MINUTE,
      sentiment: true,
    });
    assert.deepEqual(
      frame.map((row) => row.features.sentiment_1h_count),
      [0, 1, 1],
      'published at t-10m but received at t+30s: absent from row t, present from row t+1m',
    );
    const decay = frame[1]?.features.sentiment_1h_decay_1h;
    assert.equal(decay, 0.8, 'a single item weighs alone, whatever its age');
  });

  it('never lets late, old news change a row before its receipt, nor a window it has left', async () => {
    const times = [0, 1, 2, 3].map((h) => T0 + h * HOUR);
    await new FeatureStoreWriter(schema.pool).write(times.map((t) => featureRow(t, 'OLD/USDT')));
    const writer = new SentimentStoreWriter(schema.pool);
    await writer.write([item({ coin: 'OLD', publishedAt: T0 - 30 * MINUTE, score: 0.5 })]);
    const read = () =>
      trainingFrame(schema.pool, { pair: 'OLD/USDT', timeframe: '1m', from: T0, to: T0 + 4 * HOUR, sentiment: true });
    const beforeLate = await read();
    // Published 26 hours before its receipt at T0 + 2h: older than every window when it arrives.
    await writer.write([
      item({ coin: 'OLD', publishedAt: T0 - 24 * HOUR, receivedAt: T0 + 2 * HOUR, score: -1, label: 'bearish' }),
    ]);
    // Published 30 min before its receipt at T0 + 2h30: it belongs to the 1h and 4h windows from then on.
    await writer.write([
      item({ coin: 'OLD', publishedAt: T0 + 2 * HOUR, receivedAt: T0 + 2.5 * HOUR, score: -0.5, label: 'bearish' }),
    ]);
    const afterLate = await read();
    assert.deepEqual(afterLate.slice(0, 3), beforeLate.slice(0, 3), 'rows before the receipts are unchanged');
    assert.equal(afterLate[3]?.features.sentiment_24h_count, 2, 'the 26-hour-old item is in no window at t+3h');
    assert.equal(afterLate[3]?.features.sentiment_24h_mean, 0, 'mean of +0.5 and -0.5');
  });

  it('equals the independent reference and the direct computation at every row, for random news', async () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const start = T0 - 30 * HOUR;
    const news: Sentiment[] = [];
    for (let k = 0; k < 120; k += 1) {
      const publishedAt = start + Math.floor(random() * 34 * HOUR);
      const lag = random() < 0.2 ? Math.floor(random() * 3 * HOUR) : Math.floor(random() * 60_000);
      news.push(
        item({
          coin: random() < 0.7 ? 'RND' : 'OTH',
          publishedAt,
          receivedAt: publishedAt + lag,
          score: Math.round((random() * 2 - 1) * 1e6) / 1e6,
        }),
      );
    }
    const rows = Array.from({ length: 48 }, (_, k) => featureRow(T0 + k * 5 * MINUTE + 17, 'RND/USDT'));
    await new FeatureStoreWriter(schema.pool).write(rows);
    const writer = new SentimentStoreWriter(schema.pool);
    for (let k = 0; k < news.length; k += 25) await writer.write(news.slice(k, k + 25));
    const frame = await trainingFrame(schema.pool, {
      pair: 'RND/USDT',
      timeframe: '1m',
      from: T0,
      to: T0 + 5 * HOUR,
      sentiment: true,
    });
    assert.equal(frame.length, rows.length, 'every row');
    assert.ok(
      frame.some((row) => (row.features.sentiment_1h_count ?? 0) > 2),
      'the windows hold several items (the test exercises averaging)',
    );
    for (const row of frame) {
      const { rsi_14: _own, ...sentiment } = row.features;
      const expected = reference(news, 'RND', row.time, DEFAULTS);
      assertClose(sentiment, expected, `row ${new Date(row.time).toISOString()} (materialised steps)`);
      assertClose(
        await sentimentFeaturesAt(schema.pool, { coin: 'RND', at: row.time }),
        expected,
        `row ${new Date(row.time).toISOString()} (direct)`,
      );
      assertClose(await sentimentAsOf(schema.pool, 'RND', row.time), expected, 'online read');
    }
    const other = { windows: ['30m', '2h'], halfLife: '15m', lagMs: 90_000 };
    const at = T0 + 3 * HOUR + 1;
    assertClose(
      await sentimentFeaturesAt(schema.pool, { coin: 'RND', at, settings: other }),
      reference(news, 'RND', at, other),
      'the direct computation for other options (lag included)',
    );
  });

  it('is idempotent and independent of order and batching, and a newer score replaces an older one', async () => {
    const news = Array.from({ length: 40 }, (_, k) =>
      item({
        coin: 'IDM',
        publishedAt: T0 + k * 7 * MINUTE,
        receivedAt: T0 + k * 7 * MINUTE + (k % 3) * 20_000,
        score: ((k % 9) - 4) / 4,
      }),
    );
    const one = await createTestSchema('fs_sent_a');
    const two = await createTestSchema('fs_sent_b');
    try {
      await migrate(one.pool);
      await migrate(two.pool);
      const first = new SentimentStoreWriter(one.pool);
      await first.write(news);
      const once = await steps(one);
      const again = await first.write(news);
      assert.deepEqual(again.changed, 0, 'writing the same messages again changes no item');
      assert.deepEqual(await steps(one), once, 'and leaves the steps as they were');

      const second = new SentimentStoreWriter(two.pool);
      const shuffled = [...news].reverse();
      for (let k = 0; k < shuffled.length; k += 7) await second.write(shuffled.slice(k, k + 7));
      assert.deepEqual(await steps(two), once, 'reversed order in small batches gives bit-identical steps');

      const target = news[10];
      assert.ok(target !== undefined);
      const rescored = { ...target, score: -1, label: 'bearish' as const, scoredAt: target.scoredAt + 1_000 };
      await first.write([rescored]);
      await first.write([{ ...target, score: 1, scoredAt: target.scoredAt - 1_000 }]);
      const value = await sentimentAsOf(one.pool, 'IDM', target.publishedAt);
      const expected = reference(
        news.map((n) => (n.newsId === target.newsId ? rescored : n)),
        'IDM',
        target.publishedAt,
        DEFAULTS,
      );
      assertClose(value, expected, 'the re-score counts and the older message does not undo it');
      await second.write([{ ...target, receivedAt: (target.receivedAt ?? target.publishedAt) + HOUR }]);
      assert.deepEqual(await steps(two), once, 'a later second receipt does not move the first one');
    } finally {
      await one.drop();
      await two.drop();
    }
  });

  it('rebuilds every step when the configuration changes and refuses options that would look ahead', async () => {
    const own = await createTestSchema('fs_sent_cfg');
    try {
      await migrate(own.pool);
      const writer = new SentimentStoreWriter(own.pool);
      const news = [0, 10, 50, 70].map((m) => item({ coin: 'CFG', publishedAt: T0 + m * MINUTE, score: m / 100 }));
      await writer.write(news);
      assert.deepEqual(await writer.configure(DEFAULTS), { rebuilt: false }, 'the default settings are in place');
      const settings = { windows: ['30m', '2h'], halfLife: '10m', lagMs: 60_000 };
      assert.deepEqual(await writer.configure(settings), { rebuilt: true }, 'new settings rebuild');
      assert.deepEqual(await sentimentSettings(own.pool), settings, 'and are stored');
      const at = T0 + 75 * MINUTE;
      const value = await sentimentAsOf(own.pool, 'CFG', at);
      assert.deepEqual(Object.keys(value).sort(), sentimentFeatureNames(settings), 'the new feature names');
      assertClose(value, reference(news, 'CFG', at, settings), 'values under the new settings');
      await assert.rejects(
        writer.configure({ windows: ['1h', '2x'], halfLife: '1h', lagMs: -1 }),
        (error: unknown) =>
          error instanceof AppError &&
          error.code === 'CONFIG_INVALID' &&
          /2x/.test(error.message) &&
          /look ahead/.test(error.message),
        'every problem is listed',
      );
      await assert.rejects(
        own.pool.query(`SELECT sentiment_features_at('CFG', now(), '{1h}', '1h', interval '-1 second')`),
        /look ahead/,
        'the SQL function refuses a negative lag too',
      );
    } finally {
      await own.drop();
    }
  });

  it('reports an unreachable store as a retryable STORE_UNAVAILABLE, so the consumer retries', async () => {
    const pool = createPool('postgres://crypto:crypto@127.0.0.1:1/crypto');
    try {
      await assert.rejects(
        new SentimentStoreWriter(pool).write([item({ publishedAt: T0 })]),
        (error: unknown) => error instanceof AppError && error.code === 'STORE_UNAVAILABLE' && error.retryable,
        'a connection failure is STORE_UNAVAILABLE and retryable',
      );
    } finally {
      await pool.end();
    }
  });

  it('exports the sentiment columns with the frame to Arrow', async () => {
    const times = Array.from({ length: 30 }, (_, k) => T0 + k * MINUTE);
    await new FeatureStoreWriter(schema.pool).write(times.map((t) => featureRow(t, 'ARW/USDT')));
    await new SentimentStoreWriter(schema.pool).write([
      item({ coin: 'ARW', publishedAt: T0 + 10 * MINUTE + 1, score: 0.5 }),
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'fs-sent-arrow-'));
    try {
      const path = join(dir, 'frame.arrow');
      const result = await exportTrainingFrameArrow(schema.pool, {
        pair: 'ARW/USDT',
        timeframe: '1m',
        from: T0,
        to: T0 + HOUR,
        path,
        sentiment: true,
        chunkMs: 10 * MINUTE,
      });
      assert.deepEqual(
        result.columns,
        ['time', 'close', 'rsi_14', ...sentimentFeatureNames(DEFAULTS)].sort((a, b) =>
          a === 'time' ? -1 : b === 'time' ? 1 : a === 'close' ? -1 : b === 'close' ? 1 : a < b ? -1 : 1,
        ),
        'time, close, then every feature, sentiment included, by name',
      );
      const table = tableFromIPC(readFileSync(path));
      const counts = Array.from(
        { length: table.numRows },
        (_, i) => table.getChild('sentiment_1h_count')?.get(i) as unknown,
      );
      assert.deepEqual(
        counts,
        times.map((t) => (t >= T0 + 11 * MINUTE ? 1 : 0)),
        'the item published 1 ms after the 10th minute appears from the 11th minute on',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
