import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { createPool, DEFAULT_DATABASE_URL, quoteIdentifier } from './pool.js';

export interface TestSchema {
  readonly name: string;
  readonly databaseUrl: string;
  /** A pool whose connections use the schema. */
  readonly pool: pg.Pool;
  /** Drops the schema and closes the pool. */
  drop(): Promise<void>;
}

/** A fresh schema of its own for one test (DATABASE_URL or the local stack), dropped after. */
export async function createTestSchema(prefix = 'fs_test'): Promise<TestSchema> {
  const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const name = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = createPool(databaseUrl, { max: 1 });
  try {
    await admin.query(`CREATE SCHEMA ${quoteIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const pool = createPool(databaseUrl, { schema: name });
  return {
    name,
    databaseUrl,
    pool,
    drop: async () => {
      await pool.end();
      const cleanup = createPool(databaseUrl, { max: 1 });
      try {
        await cleanup.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(name)} CASCADE`);
      } finally {
        await cleanup.end();
      }
    },
  };
}
