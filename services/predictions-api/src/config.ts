import { commonConfigShape, env, loadConfig } from '@crypto-predict/core';
import { z } from 'zod';

const ConfigSchema = z.object({
  ...commonConfigShape,
  PORT: env.port(8080),
  HOST: env.string('127.0.0.1'),
  ELASTICSEARCH_URL: env.url('http://127.0.0.1:19200'),
  DATABASE_URL: env.url('postgres://crypto:crypto@127.0.0.1:15432/crypto'),
  /** PostgreSQL schema that holds the api_keys table. */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a plain lower-case identifier')
    .default('public'),
  /** Steady requests per second allowed per key, and how many may come at once. */
  RATE_LIMIT_PER_S: z.coerce.number().positive().finite().default(20),
  RATE_LIMIT_BURST: env.int(40, 1),
  /** How long a key's check (valid, unknown or revoked) is remembered: a revocation takes this long to bite. */
  KEY_CACHE_TTL_MS: env.int(10_000, 0),
  /** How far back the latest cache is warmed from Elasticsearch at start. */
  WARM_LOOKBACK_MS: env.int(24 * 3_600_000, 1),
  /** Read live predictions from Kafka (off: the cache is only warmed from Elasticsearch). */
  FEED_ENABLED: env.bool(true),
  /**
   * The feed reads from the end once its partitions are assigned, a few seconds after start; the
   * cache is warmed again this long after start to cover what was published in between.
   */
  FEED_SETTLE_MS: env.int(10_000, 0),
});

export type ApiConfig = z.output<typeof ConfigSchema>;

export function loadApiConfig(source: Record<string, string | undefined> = process.env): ApiConfig {
  return loadConfig(ConfigSchema, source);
}
