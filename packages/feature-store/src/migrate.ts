import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '@crypto-predict/core';
import type pg from 'pg';
import { storeError } from './errors.js';

/** The package's numbered DDL files, applied in name order. */
export const SQL_DIR = fileURLToPath(new URL('../sql', import.meta.url));

export interface MigrationResult {
  /** Files applied by this call. */
  applied: string[];
  /** Files that were applied before. */
  skipped: string[];
}

/**
 * Applies sql/NNN_*.sql in order, each in its own transaction, and records them in
 * feature_store_migrations (name and checksum). Idempotent: applied files are skipped; an applied
 * file whose content changed is an error (add a new numbered file instead). Concurrent callers on
 * the same schema are serialised by an advisory lock.
 */
export async function migrate(pool: pg.Pool, options: { dir?: string } = {}): Promise<MigrationResult> {
  const dir = options.dir ?? SQL_DIR;
  const files = readdirSync(dir)
    .filter((name) => /^\d+_.+\.sql$/.test(name))
    .sort();
  const result: MigrationResult = { applied: [], skipped: [] };
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw storeError(error, 'feature store: cannot connect to run migrations');
  }
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS feature_store_migrations (
      name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    for (const name of files) {
      const sql = readFileSync(join(dir, name), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      await client.query('BEGIN');
      try {
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('feature_store_migrations:' || current_schema()))`);
        const existing = await client.query<{ checksum: string }>(
          'SELECT checksum FROM feature_store_migrations WHERE name = $1',
          [name],
        );
        const applied = existing.rows[0];
        if (applied !== undefined) {
          await client.query('COMMIT');
          if (applied.checksum !== checksum) {
            throw new AppError(
              'INTERNAL',
              `migration ${name} was changed after it was applied; add a new numbered file instead`,
              { retryable: false },
            );
          }
          result.skipped.push(name);
          continue;
        }
        await client.query(sql);
        await client.query('INSERT INTO feature_store_migrations (name, checksum) VALUES ($1, $2)', [name, checksum]);
        await client.query('COMMIT');
        result.applied.push(name);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw storeError(error, `feature store: migration ${name} failed`);
      }
    }
  } finally {
    client.release();
  }
  return result;
}
