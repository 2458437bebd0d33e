import { z } from 'zod';
import { EpochMs, Pair, PositiveNumber, Timeframe } from './common.js';

/** Version of the feature definitions; a model trained on one version refuses rows of another. */
export const FEATURE_SCHEMA_VERSION = 1;

/**
 * The features known at `time`, the close time of the candle they were computed from.
 * A feature is null while its indicator warms up.
 */
export const FeatureRow = z.object({
  v: z.literal(1),
  featureSchemaVersion: z.number().int().positive(),
  pair: Pair,
  timeframe: Timeframe,
  time: EpochMs,
  close: PositiveNumber,
  features: z.record(z.string().min(1), z.number().finite().nullable()),
});
export type FeatureRow = z.infer<typeof FeatureRow>;
