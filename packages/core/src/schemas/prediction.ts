import { z } from 'zod';
import { EpochMs, HorizonMinutes, Pair, PositiveNumber, ServedModel, Timeframe } from './common.js';

/**
 * A price predicted `horizon` minutes after `featureTime`, with an interval at `coverage`.
 * `id` is deterministic (pair, horizon, feature time, model version) so replays never duplicate.
 */
export const Prediction = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  pair: Pair,
  timeframe: Timeframe,
  horizon: HorizonMinutes,
  featureTime: EpochMs,
  targetTime: EpochMs,
  createdAt: EpochMs,
  lastClose: PositiveNumber,
  predictedLogReturn: z.number().finite(),
  predictedPrice: PositiveNumber,
  lower: PositiveNumber,
  upper: PositiveNumber,
  coverage: z.number().gt(0).lt(1),
  model: ServedModel,
});
export type Prediction = z.infer<typeof Prediction>;

export function predictionId(p: {
  pair: string;
  horizon: number;
  featureTime: number;
  model: { name: string; version: string };
}): string {
  return `${p.pair.replace('/', '-')}:${p.horizon}:${p.featureTime}:${p.model.name}@${p.model.version}`;
}
