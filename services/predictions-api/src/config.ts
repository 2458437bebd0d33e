import { commonConfigShape, env, loadConfig } from '@crypto-predict/core';
import { z } from 'zod';

const ConfigSchema = z
  .object({
    ...commonConfigShape,
    PORT: env.port(8080),
    HOST: env.string('127.0.0.1'),
    /** node:cluster worker processes sharing the port (1: no cluster, the process serves itself). */
    WORKERS: z.coerce.number().int().min(1).max(64).default(1),
    /**
     * Answer plain GETs on the fast lane (a net server reading strict HTTP/1.1 heads) and hand
     * every other connection to node:http; false: node:http serves everything.
     */
    FAST_LANE: env.bool(true),
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
    /** Where the token buckets live: this process, or Redis (shared by every instance). */
    RATE_LIMIT_STORE: z.enum(['memory', 'redis'], 'memory or redis').default('memory'),
    REDIS_URL: z
      .url({ protocol: /^rediss?$/, error: 'a redis:// or rediss:// URL' })
      .default('redis://127.0.0.1:16379'),
    /** A Redis call slower than this is decided by the per-instance memory bucket instead. */
    RATE_LIMIT_REDIS_TIMEOUT_MS: env.int(100, 1),
    /** How long a key check is remembered: a revocation takes this long to bite. */
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
  })
  .refine((config) => config.WORKERS === 1 || config.RATE_LIMIT_STORE === 'redis', {
    path: ['WORKERS'],
    message:
      'more than one worker needs RATE_LIMIT_STORE=redis: a memory bucket is per process, so each worker would allow the full rate',
  });

export type ApiConfig = z.output<typeof ConfigSchema>;

export function loadApiConfig(source: Record<string, string | undefined> = process.env): ApiConfig {
  return loadConfig(ConfigSchema, source);
}

/** Where a deployment's rate-limit buckets live in a shared Redis: under its TOPIC_PREFIX. */
export function rateLimitKeyPrefix(config: Pick<ApiConfig, 'TOPIC_PREFIX'>): string {
  return config.TOPIC_PREFIX === '' ? 'predictions-api:' : `${config.TOPIC_PREFIX}:predictions-api:`;
}
