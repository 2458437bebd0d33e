import { randomBytes } from 'node:crypto';
import { AppError } from '@crypto-predict/core';
import pg from 'pg';
import { formatKey, hashKey } from '../domain/api-key.js';

export interface ApiKeyRecord {
  id: number;
  name: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** What authentication needs to know about a key hash. */
export interface KeyLookup {
  findByHash(keyHash: string): Promise<ApiKeyRecord | null>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * API keys in PostgreSQL, stored as SHA-256 hashes only: the key itself is shown once, at creation.
 * The table lives in a configurable schema so tests (and tenants) can keep their own.
 */
export class ApiKeyStore implements KeyLookup {
  private readonly table: string;

  constructor(
    private readonly pool: pg.Pool,
    readonly schema = 'public',
  ) {
    if (!SCHEMA_NAME.test(schema))
      throw new AppError('CONFIG_INVALID', `DATABASE_SCHEMA ${schema} is not a plain lower-case identifier`);
    this.table = `"${schema}".api_keys`;
  }

  static connect(databaseUrl: string, schema = 'public'): ApiKeyStore {
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max: 4,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5_000,
    });
    // An idle client's error must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    return new ApiKeyStore(pool, schema);
  }

  /** Creates the schema and table when missing. */
  async ensureSchema(): Promise<void> {
    await this.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
    await this.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         id BIGSERIAL PRIMARY KEY,
         name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
         key_hash CHAR(64) NOT NULL UNIQUE,
         created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
         revoked_at TIMESTAMPTZ
       )`,
    );
  }

  /** Creates a key; the returned key is the only time it exists outside its owner's hands. */
  async create(name: string): Promise<{ record: ApiKeyRecord; key: string }> {
    const key = formatKey(randomBytes(32));
    const result = await this.query<Row>(
      `INSERT INTO ${this.table} (name, key_hash) VALUES ($1, $2) RETURNING id, name, created_at, revoked_at`,
      [name, hashKey(key)],
    );
    const row = result.rows[0];
    if (row === undefined) throw new AppError('STORE_UNAVAILABLE', 'INSERT returned no row');
    return { record: toRecord(row), key };
  }

  /** Revokes a key; false when there is no such key (or it was revoked already). */
  async revoke(id: number): Promise<boolean> {
    const result = await this.query(
      `UPDATE ${this.table} SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`,
      [id],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const result = await this.query<Row>(`SELECT id, name, created_at, revoked_at FROM ${this.table} ORDER BY id`);
    return result.rows.map(toRecord);
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const result = await this.query<Row>(
      `SELECT id, name, created_at, revoked_at FROM ${this.table} WHERE key_hash = $1`,
      [keyHash],
    );
    const row = result.rows[0];
    return row === undefined ? null : toRecord(row);
  }

  async ping(): Promise<boolean> {
    await this.query('SELECT 1');
    return true;
  }

  /** Drops the schema (tests clean up with this). */
  async dropSchema(): Promise<void> {
    await this.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (error) {
      throw new AppError('STORE_UNAVAILABLE', 'PostgreSQL query on api_keys failed', { cause: error });
    }
  }
}

interface Row {
  id: string | number;
  name: string;
  created_at: Date;
  revoked_at: Date | null;
}

function toRecord(row: Row): ApiKeyRecord {
  return { id: Number(row.id), name: row.name, createdAt: row.created_at, revokedAt: row.revoked_at };
}
