import { z } from 'zod';
import { EpochMs, HorizonMinutes, Pair, PositiveNumber, ServedModel } from './common.js';

/**
 * A prediction scored against the close at its target time. `error` is predicted − actual.
 * When the actual never arrived (halted pair, data gap) the record says so and carries no error.
 */
export const PredictionError = z.object({
  v: z.literal(1),
  predictionId: z.string().min(1),
  pair: Pair,
  horizon: HorizonMinutes,
  featureTime: EpochMs,
  targetTime: EpochMs,
  model: ServedModel,
  status: z.enum(['scored', 'actual-missing']),
  lastClose: PositiveNumber,
  predictedPrice: PositiveNumber,
  lower: PositiveNumber,
  upper: PositiveNumber,
  actualPrice: PositiveNumber.nullable(),
  error: z.number().finite().nullable(),
  absError: z.number().nonnegative().finite().nullable(),
  squaredError: z.number().nonnegative().finite().nullable(),
  pctError: z.number().finite().nullable(),
  /** Whether the predicted move had the sign of the real move; null when either was zero. */
  directionCorrect: z.boolean().nullable(),
  inInterval: z.boolean().nullable(),
  naiveError: z.number().finite().nullable(),
  naiveAbsError: z.number().nonnegative().finite().nullable(),
  scoredAt: EpochMs,
});
export type PredictionError = z.infer<typeof PredictionError>;
