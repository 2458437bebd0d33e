import type { Candle } from '@crypto-predict/core';
import { storeError } from '@crypto-predict/feature-store';
import type pg from 'pg';
import type { SeriesSnapshot } from '../domain/features/feature-engine.js';

interface StateRow {
  state: SeriesSnapshot;
}

/**
 * The engine's durable state in PostgreSQL: one snapshot per series (indicator_state) and the
 * candles consumed (candle_history), written in one transaction so they always agree.
 */
export class IndicatorStateStore {
  constructor(private readonly pool: pg.Pool) {}

  /** The snapshots of one feature set (others are stale: another config wrote them). */
  async load(featureSet: string): Promise<SeriesSnapshot[]> {
    try {
      const result = await this.pool.query<StateRow>('SELECT state FROM indicator_state WHERE feature_set = $1', [
        featureSet,
      ]);
      return result.rows.map((row) => row.state);
    } catch (error) {
      throw storeError(error, 'indicator state: loading snapshots');
    }
  }

  /** Saves snapshots and candles together; a candle only replaces a stored one of a lower or equal revision. */
  async save(snapshots: readonly SeriesSnapshot[], candles: readonly Candle[]): Promise<void> {
    if (snapshots.length === 0 && candles.length === 0) return;
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storeError(error, 'indicator state: cannot connect');
    }
    try {
      await client.query('BEGIN');
      if (snapshots.length > 0) {
        await client.query(
          `INSERT INTO indicator_state (pair, timeframe, feature_set, last_open_time, state, updated_at)
           SELECT pair, timeframe, feature_set, 'epoch'::timestamptz + open_ms * interval '1 millisecond', state, now()
           FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::jsonb[]) AS s(pair, timeframe, feature_set, open_ms, state)
           ON CONFLICT (pair, timeframe) DO UPDATE
             SET feature_set = EXCLUDED.feature_set, last_open_time = EXCLUDED.last_open_time, state = EXCLUDED.state, updated_at = now()`,
          [
            snapshots.map((s) => s.pair),
            snapshots.map((s) => s.timeframe),
            snapshots.map((s) => s.featureSet),
            snapshots.map((s) => s.lastOpenTime),
            snapshots.map((s) => JSON.stringify(s)),
          ],
        );
      }
      const latest = new Map<string, Candle>();
      for (const candle of candles) {
        const key = `${candle.pair}|${candle.timeframe}|${candle.openTime}`;
        const known = latest.get(key);
        if (known === undefined || known.revision <= candle.revision) latest.set(key, candle);
      }
      if (latest.size > 0) {
        const unique = [...latest.values()];
        await client.query(
          `INSERT INTO candle_history (pair, timeframe, open_time, candle, revision)
           SELECT pair, timeframe, 'epoch'::timestamptz + open_ms * interval '1 millisecond', candle, revision
           FROM unnest($1::text[], $2::text[], $3::bigint[], $4::jsonb[], $5::int[]) AS c(pair, timeframe, open_ms, candle, revision)
           ON CONFLICT (pair, timeframe, open_time) DO UPDATE SET candle = EXCLUDED.candle, revision = EXCLUDED.revision
             WHERE candle_history.revision <= EXCLUDED.revision`,
          [
            unique.map((c) => c.pair),
            unique.map((c) => c.timeframe),
            unique.map((c) => c.openTime),
            unique.map((c) => JSON.stringify(c)),
            unique.map((c) => c.revision),
          ],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw storeError(error, 'indicator state: saving snapshots');
    } finally {
      client.release();
    }
  }

  /** Up to `limit` stored candles of a series that opened before `before`, oldest first. */
  async recentCandles(pair: string, timeframe: string, before: number, limit: number): Promise<Candle[]> {
    if (limit <= 0) return [];
    try {
      const result = await this.pool.query<{ candle: Candle }>(
        `SELECT candle FROM (
           SELECT candle, open_time FROM candle_history
           WHERE pair = $1 AND timeframe = $2 AND open_time < 'epoch'::timestamptz + $3::bigint * interval '1 millisecond'
           ORDER BY open_time DESC LIMIT $4
         ) recent ORDER BY open_time`,
        [pair, timeframe, before, limit],
      );
      return result.rows.map((row) => row.candle);
    } catch (error) {
      throw storeError(error, `indicator state: reading candle history of ${pair} ${timeframe}`);
    }
  }
}
