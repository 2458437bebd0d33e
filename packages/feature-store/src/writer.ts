import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FeatureRow } from '@crypto-predict/core';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { storeError } from './errors.js';

export interface WriteResult {
  /** Rows written to feature_rows (after collapsing repeats of a key within the call). */
  rows: number;
  /** Series whose feature_latest row was set or kept. */
  latest: number;
}

export interface FeatureStoreWriterOptions {
  /** Rows per INSERT statement; each statement passes its rows as 6 arrays (unnest), so size is not limited by bind parameters. */
  batchSize?: number;
  /**
   * From this many rows on, a write streams the rows with COPY into a session-local staging table
   * and upserts from there (the backfill's path: about twice as fast, far less client CPU).
   */
  copyThreshold?: number;
}

// Per connection, emptied at every commit; the upsert below reads it.
const CREATE_STAGING = `
CREATE TEMP TABLE IF NOT EXISTS feature_rows_staging (
  pair text, timeframe text, time_ms bigint, close float8, features jsonb, schema_version int
) ON COMMIT DELETE ROWS`;

const COPY_STAGING = 'COPY feature_rows_staging (pair, timeframe, time_ms, close, features, schema_version) FROM STDIN';

const INSERT_FROM_STAGING = `
INSERT INTO feature_rows (pair, timeframe, time, close, features, schema_version)
SELECT pair, timeframe, 'epoch'::timestamptz + time_ms * interval '1 millisecond', close, features, schema_version
FROM feature_rows_staging
ON CONFLICT (pair, timeframe, time) DO UPDATE
  SET close = EXCLUDED.close, features = EXCLUDED.features, schema_version = EXCLUDED.schema_version
  WHERE (feature_rows.close, feature_rows.features, feature_rows.schema_version)
    IS DISTINCT FROM (EXCLUDED.close, EXCLUDED.features, EXCLUDED.schema_version)`;

const INSERT_ROWS = `
INSERT INTO feature_rows (pair, timeframe, time, close, features, schema_version)
SELECT pair, timeframe, 'epoch'::timestamptz + time_ms * interval '1 millisecond', close, features, schema_version
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::jsonb[], $6::int[])
  AS r(pair, timeframe, time_ms, close, features, schema_version)
ON CONFLICT (pair, timeframe, time) DO UPDATE
  SET close = EXCLUDED.close, features = EXCLUDED.features, schema_version = EXCLUDED.schema_version
  WHERE (feature_rows.close, feature_rows.features, feature_rows.schema_version)
    IS DISTINCT FROM (EXCLUDED.close, EXCLUDED.features, EXCLUDED.schema_version)`;

// The online row only moves forward in time: replaying an old span never regresses it.
const UPSERT_LATEST = `
INSERT INTO feature_latest (pair, timeframe, time, close, features, schema_version)
SELECT pair, timeframe, 'epoch'::timestamptz + time_ms * interval '1 millisecond', close, features, schema_version
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::jsonb[], $6::int[])
  AS r(pair, timeframe, time_ms, close, features, schema_version)
ON CONFLICT (pair, timeframe) DO UPDATE
  SET time = EXCLUDED.time, close = EXCLUDED.close, features = EXCLUDED.features, schema_version = EXCLUDED.schema_version
  WHERE feature_latest.time <= EXCLUDED.time`;

/**
 * Writes feature rows to the offline history (feature_rows) and the online latest row per
 * (pair, timeframe) (feature_latest), idempotently: a row for an existing (pair, timeframe, time)
 * replaces it (a revised bar), the same row again changes nothing. One transaction per call, in
 * batches of multi-row INSERT … SELECT FROM unnest(arrays).
 */
export class FeatureStoreWriter {
  private readonly batchSize: number;
  private readonly copyThreshold: number;

  constructor(
    private readonly pool: pg.Pool,
    options: FeatureStoreWriterOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 5000;
    this.copyThreshold = options.copyThreshold ?? 2000;
  }

  async write(rows: readonly FeatureRow[]): Promise<WriteResult> {
    if (rows.length === 0) return { rows: 0, latest: 0 };
    // A key repeated within one statement would make ON CONFLICT fail; the last version wins.
    const byKey = new Map<string, FeatureRow>();
    const latest = new Map<string, FeatureRow>();
    for (const row of rows) {
      const series = `${row.pair}|${row.timeframe}`;
      byKey.set(`${series}|${row.time}`, row);
      const current = latest.get(series);
      if (current === undefined || current.time <= row.time) latest.set(series, row);
    }
    const unique = [...byKey.values()];
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storeError(error, 'feature store: cannot connect to write rows');
    }
    try {
      await client.query('BEGIN');
      if (unique.length >= this.copyThreshold) {
        await client.query(CREATE_STAGING);
        await pipeline(Readable.from(copyLines(unique)), client.query(copyFrom(COPY_STAGING)));
        await client.query(INSERT_FROM_STAGING);
      } else {
        for (let start = 0; start < unique.length; start += this.batchSize) {
          await client.query(INSERT_ROWS, columns(unique.slice(start, start + this.batchSize)));
        }
      }
      await client.query(UPSERT_LATEST, columns([...latest.values()]));
      await client.query('COMMIT');
      return { rows: unique.length, latest: latest.size };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw storeError(error, `feature store: writing ${unique.length} rows failed`);
    } finally {
      client.release();
    }
  }
}

/** COPY text format, a few hundred rows per chunk. */
function* copyLines(rows: readonly FeatureRow[]): Generator<string> {
  const chunk = 500;
  for (let start = 0; start < rows.length; start += chunk) {
    let text = '';
    const end = Math.min(rows.length, start + chunk);
    for (let i = start; i < end; i += 1) {
      const row = rows[i];
      if (row === undefined) continue;
      text += `${copyText(row.pair)}\t${copyText(row.timeframe)}\t${row.time}\t${row.close}\t${copyText(JSON.stringify(row.features))}\t${row.featureSchemaVersion}\n`;
    }
    yield text;
  }
}

/** Escapes what COPY's text format treats specially (backslash, tab, newline, carriage return). */
function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'))
    : value;
}

function columns(rows: readonly FeatureRow[]): [string[], string[], number[], number[], string[], number[]] {
  const pair: string[] = [];
  const timeframe: string[] = [];
  const time: number[] = [];
  const close: number[] = [];
  const features: string[] = [];
  const version: number[] = [];
  for (const row of rows) {
    pair.push(row.pair);
    timeframe.push(row.timeframe);
    time.push(row.time);
    close.push(row.close);
    features.push(JSON.stringify(row.features));
    version.push(row.featureSchemaVersion);
  }
  return [pair, timeframe, time, close, features, version];
}
