import { z } from 'zod';
import { EpochMs, Pair, PositiveNumber } from './common.js';

/** One executed trade. `side` is the taker's side: buy means the taker lifted an ask. */
export const Trade = z.object({
  v: z.literal(1),
  pair: Pair,
  exchange: z.string().min(1),
  tradeId: z.string().min(1),
  price: PositiveNumber,
  qty: PositiveNumber,
  side: z.enum(['buy', 'sell']),
  time: EpochMs,
  /** Where the trade came from; replays of expanded candles are labelled so nobody mistakes them for ticks. */
  source: z.enum(['live', 'backfill', 'replay-ticks', 'replay-expanded']),
});
export type Trade = z.infer<typeof Trade>;
