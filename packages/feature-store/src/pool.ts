import pg from 'pg';

/** The local stack's database; production sets DATABASE_URL. */
export const DEFAULT_DATABASE_URL = 'postgres://crypto:crypto@127.0.0.1:15432/crypto';

export interface PoolOptions {
  /** Puts every connection in this schema (search_path), e.g. a test's own schema. */
  schema?: string;
  max?: number;
  applicationName?: string;
}

/** A node-postgres pool; with `schema`, the feature-store tables are created and read there. */
export function createPool(databaseUrl: string = DEFAULT_DATABASE_URL, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 4,
    application_name: options.applicationName ?? 'feature-store',
    connectionTimeoutMillis: 10_000,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${quoteIdentifier(options.schema)}` }),
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  return pool;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
