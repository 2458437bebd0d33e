import type { FeatureRow } from '@crypto-predict/core';
import type pg from 'pg';
import { storeError } from './errors.js';

interface StoredRow {
  pair: string;
  timeframe: string;
  time_ms: number;
  close: number;
  features: Record<string, number | null>;
  schema_version: number;
}

const COLUMNS = `pair, timeframe, (extract(epoch FROM time) * 1000)::float8 AS time_ms, close, features, schema_version`;

function toFeatureRow(row: StoredRow): FeatureRow {
  return {
    v: 1,
    featureSchemaVersion: row.schema_version,
    pair: row.pair,
    timeframe: row.timeframe,
    time: row.time_ms,
    close: row.close,
    features: row.features,
  };
}

/** The online feature row of a series: the newest one written, or undefined. */
export async function latestFeatures(pool: pg.Pool, pair: string, timeframe: string): Promise<FeatureRow | undefined> {
  try {
    const result = await pool.query<StoredRow>(
      `SELECT ${COLUMNS} FROM feature_latest WHERE pair = $1 AND timeframe = $2`,
      [pair, timeframe],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : toFeatureRow(row);
  } catch (error) {
    throw storeError(error, `feature store: reading the latest features of ${pair} ${timeframe}`);
  }
}

export interface TrainingFrameRequest {
  pair: string;
  timeframe: string;
  /** Inclusive lower bound on the feature time, epoch ms. */
  from: number;
  /** Exclusive upper bound on the feature time, epoch ms. */
  to: number;
  /** Keep only these features (in this order); all by default. */
  features?: readonly string[];
  /** Keep only rows of this feature schema version. */
  schemaVersion?: number;
  /**
   * Join the sentiment features of the pair's coin as of each row's time (the store's
   * materialised aggregates, see feature_frame_with_sentiment in sql/003_sentiment.sql) into
   * `features`. `true` uses the pair's base asset (BTC for BTC/USDT); `{ coin }` names one.
   */
  sentiment?: boolean | { coin: string };
}

/**
 * The rows of a series with from <= time < to, oldest first. Point-in-time by construction: a
 * row's `time` is the close of the candle it was computed from, every value in it comes from that
 * candle and earlier ones, and nothing is filled or smoothed across rows here; a model trained on
 * row t sees exactly what the live service knew at t. With `sentiment`, the row also carries the
 * news sentiment as of t: only items published at or before t and received at or before t.
 */
export async function trainingFrame(pool: pg.Pool, request: TrainingFrameRequest): Promise<FeatureRow[]> {
  const params: unknown[] = [request.pair, request.timeframe, request.from, request.to];
  let filter = '';
  if (request.schemaVersion !== undefined) {
    params.push(request.schemaVersion);
    filter = ` AND schema_version = $${params.length}`;
  }
  const from = `'epoch'::timestamptz + $3::bigint * interval '1 millisecond'`;
  const to = `'epoch'::timestamptz + $4::bigint * interval '1 millisecond'`;
  let sql: string;
  if (request.sentiment === undefined || request.sentiment === false) {
    sql = `SELECT ${COLUMNS} FROM feature_rows
       WHERE pair = $1 AND timeframe = $2 AND time >= ${from} AND time < ${to}${filter}
       ORDER BY time`;
  } else {
    params.push(request.sentiment === true ? null : request.sentiment.coin);
    // A feature key that happens to share a sentiment feature's name is overwritten by it.
    sql = `SELECT $1::text AS pair, $2::text AS timeframe, (extract(epoch FROM time) * 1000)::float8 AS time_ms, close,
              features || sentiment AS features, schema_version
       FROM feature_frame_with_sentiment($1, $2, ${from}, ${to}, $${params.length}::text)
       WHERE true${filter}
       ORDER BY time`;
  }
  let rows: StoredRow[];
  try {
    const result = await pool.query<StoredRow>(sql, params);
    rows = result.rows;
  } catch (error) {
    throw storeError(error, `feature store: reading the training frame of ${request.pair} ${request.timeframe}`);
  }
  const wanted = request.features;
  return rows.map((stored) => {
    const row = toFeatureRow(stored);
    if (wanted === undefined) return row;
    const features: Record<string, number | null> = {};
    for (const name of wanted) features[name] = row.features[name] ?? null;
    return { ...row, features };
  });
}
