import { z } from 'zod';
import { EpochMs, NonNegativeNumber, Pair, PositiveNumber, Timeframe } from './common.js';

/**
 * An OHLC candle for the window [openTime, closeTime). An empty window carries the previous close
 * as open/high/low/close with zero volume and `empty: true`, so downstream series have no holes.
 * `revision` is 0 for the first emission and grows when late trades revise a closed window.
 */
export const Candle = z.object({
  v: z.literal(1),
  pair: Pair,
  timeframe: Timeframe,
  openTime: EpochMs,
  closeTime: EpochMs,
  open: PositiveNumber,
  high: PositiveNumber,
  low: PositiveNumber,
  close: PositiveNumber,
  volume: NonNegativeNumber,
  /** Volume-weighted average price; the close for an empty window. */
  vwap: PositiveNumber,
  trades: z.number().int().nonnegative(),
  buyVolume: NonNegativeNumber,
  sellVolume: NonNegativeNumber,
  empty: z.boolean(),
  revision: z.number().int().nonnegative(),
});
export type Candle = z.infer<typeof Candle>;
