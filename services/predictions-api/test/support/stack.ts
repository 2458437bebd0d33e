import { randomUUID } from 'node:crypto';

/** Where the real servers are: the environment, with the local stack's defaults. */
export const STACK = {
  kafka: process.env.KAFKA_BROKERS ?? '127.0.0.1:19092',
  search: process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:19200',
  mlflow: process.env.MLFLOW_TRACKING_URI ?? 'http://127.0.0.1:15000',
  database: process.env.DATABASE_URL ?? 'postgres://crypto:crypto@127.0.0.1:15432/crypto',
};

/** A prefix no other test run shares: topics, indices, groups and schemas are named under it. */
export function uniquePrefix(): string {
  return `t-${randomUUID().slice(0, 8)}`;
}

/** A PostgreSQL schema name for a prefix. */
export function schemaFor(prefix: string): string {
  return prefix.replace(/-/g, '_');
}

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs` naming `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
