import { AppError, type Sentiment } from '@crypto-predict/core';
import type pg from 'pg';
import { storeError } from './errors.js';

/**
 * The aggregate configuration of the store's sentiment features: windows over publication time,
 * the half-life of the decay-weighted mean, and a lag added to an item's receipt before rows
 * may see it (a processing allowance; 0 by default). Names are `<number><m|h|d>` and appear
 * verbatim in feature names: sentiment_4h_count, sentiment_4h_mean, sentiment_4h_decay_1h.
 */
export interface SentimentSettings {
  windows: readonly string[];
  halfLife: string;
  lagMs: number;
}

export const DEFAULT_SENTIMENT_SETTINGS: SentimentSettings = { windows: ['1h', '4h', '24h'], halfLife: '1h', lagMs: 0 };

const SPAN = /^([1-9][0-9]{0,5})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a window or half-life name (`30m`, `4h`, `1d`), or undefined if it is not one. */
export function sentimentSpanMs(name: string): number | undefined {
  const match = SPAN.exec(name);
  if (match === null) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** Every problem with a settings object (empty when it is valid); the SQL functions check the same. */
export function sentimentSettingsProblems(settings: SentimentSettings): string[] {
  const problems: string[] = [];
  if (settings.windows.length === 0) problems.push('windows: name at least one window, e.g. 1h,4h,24h');
  for (const window of settings.windows) {
    if (sentimentSpanMs(window) === undefined) problems.push(`window ${JSON.stringify(window)} is not <number><m|h|d>`);
  }
  if (new Set(settings.windows).size !== settings.windows.length) problems.push('windows: a window is repeated');
  if (sentimentSpanMs(settings.halfLife) === undefined)
    problems.push(`half-life ${JSON.stringify(settings.halfLife)} is not <number><m|h|d>`);
  if (!Number.isInteger(settings.lagMs) || settings.lagMs < 0)
    problems.push(
      `lag ${settings.lagMs} ms must be a whole number of ms, zero or more (a negative lag would look ahead)`,
    );
  return problems;
}

/** The feature names the settings produce, in the store's (sorted) order. */
export function sentimentFeatureNames(settings: SentimentSettings): string[] {
  return settings.windows
    .flatMap((w) => [`sentiment_${w}_count`, `sentiment_${w}_mean`, `sentiment_${w}_decay_${settings.halfLife}`])
    .sort();
}

function checked(settings: SentimentSettings): SentimentSettings {
  const problems = sentimentSettingsProblems(settings);
  if (problems.length > 0) {
    throw new AppError('CONFIG_INVALID', `sentiment settings: ${problems.join('; ')}`, {
      retryable: false,
      details: { problems },
    });
  }
  return settings;
}

const MS = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;
const FROM_MS = (param: string) => `'epoch'::timestamptz + ${param}::bigint * interval '1 millisecond'`;

/**
 * The store's aggregate configuration (what the materialised steps hold). `lock` (inside a
 * transaction) keeps sentiment_configure from changing it until the transaction ends.
 */
export async function sentimentSettings(
  pool: pg.Pool | pg.PoolClient,
  options: { lock?: boolean } = {},
): Promise<SentimentSettings> {
  try {
    const result = await pool.query<{ windows: string[]; half_life: string; lag_ms: number }>(
      `SELECT windows, half_life, ${MS('lag')} AS lag_ms FROM sentiment_settings${options.lock === true ? ' FOR SHARE' : ''}`,
    );
    const row = result.rows[0];
    if (row === undefined)
      throw new AppError('INTERNAL', 'sentiment_settings is empty (migration 003 inserts its row)');
    return { windows: row.windows, halfLife: row.half_life, lagMs: row.lag_ms };
  } catch (error) {
    throw storeError(error, 'feature store: reading the sentiment settings');
  }
}

export interface SentimentWriteResult {
  /** Distinct (coin, news item) rows in the call. */
  items: number;
  /** Rows inserted or changed (a replay of known items changes none). */
  changed: number;
  /** Aggregate steps rebuilt. */
  steps: number;
}

interface StoredItem {
  coin: string;
  news_id: string;
  published_ms: number;
  known_ms: number;
}

/** A span of instants [from, to] (epoch ms) whose aggregates a change can affect. */
interface Span {
  from: number;
  to: number;
}

/** Sorted, overlapping or touching spans merged. */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.from - b.from || a.to - b.to);
  const merged: Span[] = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && span.from <= last.to) last.to = Math.max(last.to, span.to);
    else merged.push({ ...span });
  }
  return merged;
}

const UPSERT_ITEMS = `
INSERT INTO sentiment_items AS s (coin, news_id, published_at, received_at, score, label, confidence, method, model, prompt_version, scored_at)
SELECT coin, news_id, ${FROM_MS('published_ms')}, ${FROM_MS('received_ms')}, score, label, confidence, method, model, prompt_version, ${FROM_MS('scored_ms')}
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::float8[], $6::text[], $7::float8[], $8::text[], $9::text[], $10::text[], $11::bigint[])
  AS r(coin, news_id, published_ms, received_ms, score, label, confidence, method, model, prompt_version, scored_ms)
ON CONFLICT (coin, news_id) DO UPDATE SET
  published_at = least(s.published_at, EXCLUDED.published_at),
  received_at = least(s.received_at, EXCLUDED.received_at),
  score = CASE WHEN EXCLUDED.scored_at >= s.scored_at THEN EXCLUDED.score ELSE s.score END,
  label = CASE WHEN EXCLUDED.scored_at >= s.scored_at THEN EXCLUDED.label ELSE s.label END,
  confidence = CASE WHEN EXCLUDED.scored_at >= s.scored_at THEN EXCLUDED.confidence ELSE s.confidence END,
  method = CASE WHEN EXCLUDED.scored_at >= s.scored_at THEN EXCLUDED.method ELSE s.method END,
  model = CASE WHEN EXCLUDED.scored_at >= s.scored_at THEN EXCLUDED.model ELSE s.model END,
  prompt_version = CASE WHEN EXCLUDED.scored_at >= s.scored_at THEN EXCLUDED.prompt_version ELSE s.prompt_version END,
  scored_at = greatest(s.scored_at, EXCLUDED.scored_at)
WHERE EXCLUDED.published_at < s.published_at
   OR EXCLUDED.received_at < s.received_at
   OR (EXCLUDED.scored_at >= s.scored_at
       AND (s.score, s.label, s.confidence, s.method, s.model, s.prompt_version)
           IS DISTINCT FROM (EXCLUDED.score, EXCLUDED.label, EXCLUDED.confidence, EXCLUDED.method, EXCLUDED.model, EXCLUDED.prompt_version))
RETURNING coin, news_id, ${MS('published_at')} AS published_ms, ${MS('known_at')} AS known_ms`;

/**
 * Writes per-item sentiment (the `sentiment` topic's messages) to sentiment_items and rebuilds
 * the aggregate steps of the instants the change affects, in one transaction per call.
 *
 * Idempotent and order-free: a (coin, news item) keeps its earliest publication and receipt
 * time and the score with the latest `scoredAt` (a re-score replaces an older one; an older
 * message never replaces a newer one), so writing the same messages again, or in another order
 * or batching, leaves the same rows and the same steps. A message without `receivedAt` counts
 * as received at its publication.
 */
export class SentimentStoreWriter {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Makes `settings` the store's aggregate configuration; if it differs from the stored one the
   * steps of every coin are rebuilt from the items (returns true).
   */
  async configure(settings: SentimentSettings = DEFAULT_SENTIMENT_SETTINGS): Promise<{ rebuilt: boolean }> {
    const valid = checked(settings);
    try {
      const result = await this.pool.query<{ rebuilt: boolean }>(
        `SELECT sentiment_configure($1::text[], $2, $3::bigint * interval '1 millisecond') AS rebuilt`,
        [valid.windows, valid.halfLife, valid.lagMs],
      );
      return { rebuilt: result.rows[0]?.rebuilt === true };
    } catch (error) {
      throw storeError(error, 'feature store: configuring the sentiment aggregates');
    }
  }

  async write(messages: readonly Sentiment[]): Promise<SentimentWriteResult> {
    if (messages.length === 0) return { items: 0, changed: 0, steps: 0 };
    const unique = collapse(messages);
    const coins = [...new Set(unique.map((m) => m.coin))].sort();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storeError(error, 'feature store: cannot connect to write sentiment');
    }
    try {
      await client.query('BEGIN');
      // One writer per coin at a time (sorted, so two writers cannot deadlock): a refresh reads
      // every item of its coin and must not miss one being written beside it.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('sentiment:' || c)) FROM unnest($1::text[]) AS c`, [
        coins,
      ]);
      const settings = await sentimentSettings(client, { lock: true });
      const maxWindowMs = Math.max(...settings.windows.map((w) => sentimentSpanMs(w) ?? 0));
      const keys = [unique.map((m) => m.coin), unique.map((m) => m.newsId)];
      const before = await client.query<StoredItem>(
        `SELECT s.coin, s.news_id, ${MS('s.published_at')} AS published_ms, ${MS('s.known_at')} AS known_ms
         FROM sentiment_items s JOIN unnest($1::text[], $2::text[]) AS k(coin, news_id) USING (coin, news_id)`,
        keys,
      );
      const after = await client.query<StoredItem>(UPSERT_ITEMS, itemColumns(unique));
      // What a version of an item affects: from the instant it enters (known + lag) until it has
      // left the longest window (published + max window). The old version's span too, because
      // its contribution must go; but only for items that changed.
      const changed = new Set(after.rows.map((row) => `${row.coin}\u0000${row.news_id}`));
      const spans = new Map<string, Span[]>();
      for (const row of [
        ...after.rows,
        ...before.rows.filter((row) => changed.has(`${row.coin}\u0000${row.news_id}`)),
      ]) {
        const span = { from: row.known_ms + settings.lagMs, to: row.published_ms + maxWindowMs };
        if (span.from > span.to) continue; // received after it left every window: no row ever sees it
        spans.set(row.coin, [...(spans.get(row.coin) ?? []), span]);
      }
      let steps = 0;
      for (const [coin, coinSpans] of spans) {
        for (const span of mergeSpans(coinSpans)) {
          const refreshed = await client.query<{ steps: number }>(
            `SELECT sentiment_refresh($1, ${FROM_MS('$2')}, ${FROM_MS('$3')}) AS steps`,
            [coin, span.from, span.to],
          );
          steps += refreshed.rows[0]?.steps ?? 0;
        }
      }
      await client.query('COMMIT');
      return { items: unique.length, changed: after.rowCount ?? after.rows.length, steps };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw storeError(error, `feature store: writing ${unique.length} sentiment items failed`);
    } finally {
      client.release();
    }
  }
}

/** Repeats of a (coin, news item) within one call merged by the same rules as the upsert. */
function collapse(messages: readonly Sentiment[]): Sentiment[] {
  const byKey = new Map<string, Sentiment>();
  for (const message of messages) {
    const key = `${message.coin}\u0000${message.newsId}`;
    const seen = byKey.get(key);
    if (seen === undefined) {
      byKey.set(key, message);
      continue;
    }
    const newer = message.scoredAt >= seen.scoredAt ? message : seen;
    byKey.set(key, {
      ...newer,
      publishedAt: Math.min(seen.publishedAt, message.publishedAt),
      receivedAt: Math.min(receivedAt(seen), receivedAt(message)),
      scoredAt: Math.max(seen.scoredAt, message.scoredAt),
    });
  }
  return [...byKey.values()];
}

function receivedAt(message: Sentiment): number {
  return message.receivedAt ?? message.publishedAt;
}

function itemColumns(messages: readonly Sentiment[]): unknown[] {
  return [
    messages.map((m) => m.coin),
    messages.map((m) => m.newsId),
    messages.map((m) => m.publishedAt),
    messages.map((m) => receivedAt(m)),
    messages.map((m) => m.score),
    messages.map((m) => m.label),
    messages.map((m) => m.confidence),
    messages.map((m) => m.method),
    messages.map((m) => m.model),
    messages.map((m) => m.promptVersion),
    messages.map((m) => m.scoredAt),
  ];
}

type SentimentValues = Record<string, number>;

/** The materialised sentiment features of a coin as of `at` (epoch ms): what a live reader uses. */
export async function sentimentAsOf(pool: pg.Pool, coin: string, at: number): Promise<SentimentValues> {
  try {
    const result = await pool.query<{ features: SentimentValues }>(
      `SELECT sentiment_as_of($1, ${FROM_MS('$2')}) AS features`,
      [coin, at],
    );
    return result.rows[0]?.features ?? {};
  } catch (error) {
    throw storeError(error, `feature store: reading the sentiment of ${coin}`);
  }
}

/**
 * The sentiment features of a coin as of `at` computed directly from the items, for any options
 * (the store's settings by default). The definition the materialised steps must equal.
 */
export async function sentimentFeaturesAt(
  pool: pg.Pool,
  request: { coin: string; at: number; settings?: SentimentSettings },
): Promise<SentimentValues> {
  const settings = request.settings === undefined ? undefined : checked(request.settings);
  try {
    const result = await pool.query<{ features: SentimentValues }>(
      `SELECT sentiment_features_at($1, ${FROM_MS('$2')}, $3::text[], $4::text, $5::bigint * interval '1 millisecond') AS features`,
      [request.coin, request.at, settings?.windows ?? null, settings?.halfLife ?? null, settings?.lagMs ?? null],
    );
    return result.rows[0]?.features ?? {};
  } catch (error) {
    throw storeError(error, `feature store: computing the sentiment of ${request.coin}`);
  }
}
