import { commonConfigShape, env, loadConfig } from '@crypto-predict/core';
import { DEFAULT_DATABASE_URL } from '@crypto-predict/feature-store';
import { z } from 'zod';
import { DEFAULT_FEATURES_CONFIG } from './adapters/feature-config-file.js';

const ConfigSchema = z.object({
  ...commonConfigShape,
  OPS_PORT: env.port(9102),
  DATABASE_URL: env.string(DEFAULT_DATABASE_URL),
  /** Path of the feature configuration (JSON); the packaged scale-free default otherwise. */
  INDICATORS_CONFIG: env.string(DEFAULT_FEATURES_CONFIG),
  /** compute: candles → features topic; store: features topic → feature store; both (default). */
  ROLE: z.enum(['compute', 'store', 'both']).default('both'),
  COMPUTE_GROUP: env.string('technical-indicators-compute'),
  STORE_GROUP: env.string('technical-indicators-store'),
  /** Candles replayed from candle_history to warm a series up when it has no usable snapshot. */
  WARMUP_CANDLES: env.int(2_000),
  /** Keep the consumed candles in candle_history (what warm-ups replay). */
  KEEP_CANDLE_HISTORY: env.bool(true),
});

export type ServiceConfig = z.output<typeof ConfigSchema>;

export function loadServiceConfig(source: Record<string, string | undefined> = process.env): ServiceConfig {
  return loadConfig(ConfigSchema, source);
}
