import { z } from 'zod';
import { EpochMs, Pair } from './common.js';

/** Something a person or the trainer should know about: drift, degraded error, missing data. */
export const Alert = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  kind: z.string().min(1),
  severity: z.enum(['info', 'warning', 'critical']),
  pair: Pair.nullable(),
  message: z.string().min(1),
  details: z.record(z.string(), z.unknown()),
  time: EpochMs,
});
export type Alert = z.infer<typeof Alert>;
