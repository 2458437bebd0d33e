import { z } from 'zod';
import { Pair, Timeframe } from '@crypto-predict/core';

const WindowStatsSchema = z.object({
  trades: z.number().int().positive(),
  open: z.number(),
  openAt: z.number(),
  high: z.number(),
  low: z.number(),
  close: z.number(),
  closeAt: z.number(),
  volume: z.number(),
  notional: z.number(),
  buyVolume: z.number(),
  sellVolume: z.number(),
});

/** A 1-minute window: its trades (null when it has none), the close it carries, its last revision. */
export const MinuteSlot = z.object({
  stats: WindowStatsSchema.nullable(),
  /** The close of the minute before, once the window has closed; an empty window shows it. */
  carry: z.number().nullable(),
  revision: z.number().int().nonnegative(),
});
export type MinuteSlot = z.infer<typeof MinuteSlot>;

export const PairSnapshot = z.object({
  pair: Pair,
  maxEventTime: z.number(),
  watermark: z.number(),
  nextClose: z.number(),
  lastClose: z.number().nullable(),
  minutes: z.array(MinuteSlot.extend({ openTime: z.number() })),
  higherRevisions: z.array(
    z.object({
      timeframe: Timeframe,
      windows: z.array(z.object({ openTime: z.number(), revision: z.number().int().nonnegative() })),
    }),
  ),
});
export type PairSnapshot = z.infer<typeof PairSnapshot>;

/**
 * The whole state of a candle aggregator as JSON data: what the exactly-once loop writes to the
 * state topic in the same transaction as the candles and the consumer offsets, so a restarted
 * service goes on from where it was (adapters/exactly-once/partition-state.ts).
 */
export const AggregatorSnapshot = z.object({ v: z.literal(1), pairs: z.array(PairSnapshot) });
export type AggregatorSnapshot = z.infer<typeof AggregatorSnapshot>;
