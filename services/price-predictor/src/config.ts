import { commonConfigShape, env, loadConfig, Pair, Timeframe } from '@crypto-predict/core';
import { z } from 'zod';

const Horizons = env
  .list('1,5,15,60')
  .pipe(z.array(z.coerce.number<string>().int().positive().max(10_080)).min(1, 'list at least one horizon'))
  .refine((list) => new Set(list).size === list.length, 'a horizon is listed twice');

const ConfigSchema = z
  .object({
    ...commonConfigShape,
    OPS_PORT: env.port(9105),
    ELASTICSEARCH_URL: env.url('http://127.0.0.1:19200'),
    MLFLOW_TRACKING_URI: env.url('http://127.0.0.1:15000'),
    PAIRS: env.list('BTC/USDT').pipe(z.array(Pair).min(1, 'list at least one pair')),
    TIMEFRAME: Timeframe.default('1m'),
    /** Registered model name; by default `price-<BASE>-<QUOTE>-<timeframe>` for each pair. */
    MODEL_NAME: z.string().min(1).optional(),
    MODEL_ALIAS: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'an alias is letters, digits, _ and -')
      .default('champion'),
    /** Serve this one version (servedBy `pinned`) instead of following the alias. */
    MODEL_VERSION: z
      .string()
      .regex(/^[0-9]+$/, 'a model version is a number')
      .optional(),
    MODEL_POLL_MS: env.int(30_000, 100),
    MODEL_CACHE_DIR: env.string('.data/models'),
    HORIZONS: Horizons,
    /** Coverage of the naive interval (models carry their own). */
    COVERAGE: z.coerce.number().gt(0).lt(1).default(0.9),
    /** Per-candle volatility of log returns, for the naive interval. */
    NAIVE_VOLATILITY_FEATURE: env.string('volatility_30'),
    CONSUMER_GROUP: env.string('price-predictor'),
  })
  .refine((config) => config.MODEL_NAME === undefined || config.PAIRS.length === 1, {
    message:
      'MODEL_NAME names one model, so PAIRS must list exactly one pair (leave it unset to derive a name per pair)',
    path: ['MODEL_NAME'],
  });

export type PredictorConfig = z.output<typeof ConfigSchema>;

export function loadPredictorConfig(source: Record<string, string | undefined> = process.env): PredictorConfig {
  return loadConfig(ConfigSchema, source);
}

/** The registered model name of a pair: `price-BTC-USDT-1m`. */
export function defaultModelName(pair: string, timeframe: string): string {
  return `price-${pair.replace('/', '-')}-${timeframe}`;
}
