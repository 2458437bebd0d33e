import { z } from 'zod';
import { EpochMs } from './common.js';

/** A message a service could not use, kept with the reason so nothing is lost silently. */
export const DeadLetter = z.object({
  v: z.literal(1),
  sourceTopic: z.string().min(1),
  partition: z.number().int().nonnegative().nullable(),
  offset: z.string().nullable(),
  key: z.string().nullable(),
  /** The original payload as text (UTF-8), exactly as received. */
  value: z.string().nullable(),
  reason: z.string().min(1),
  service: z.string().min(1),
  time: EpochMs,
});
export type DeadLetter = z.infer<typeof DeadLetter>;
