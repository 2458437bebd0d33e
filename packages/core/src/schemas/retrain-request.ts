import { z } from 'zod';
import { EpochMs, Pair, Timeframe } from './common.js';

/** A request that the trainer fit a new candidate for a pair, from the monitor or a person. */
export const RetrainRequest = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  pair: Pair,
  timeframe: Timeframe,
  reason: z.string().min(1),
  requestedBy: z.string().min(1),
  time: EpochMs,
});
export type RetrainRequest = z.infer<typeof RetrainRequest>;
