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

/**
 * The candle of a window in which nothing traded: the previous close carried as open, high, low,
 * close and VWAP, with zero volume and `empty: true`.
 */
export function emptyCandle(window: {
  pair: string;
  timeframe: Candle['timeframe'];
  openTime: number;
  closeTime: number;
  previousClose: number;
  revision?: number;
}): Candle {
  const close = window.previousClose;
  return {
    v: 1,
    pair: window.pair,
    timeframe: window.timeframe,
    openTime: window.openTime,
    closeTime: window.closeTime,
    open: close,
    high: close,
    low: close,
    close,
    volume: 0,
    vwap: close,
    trades: 0,
    buyVolume: 0,
    sellVolume: 0,
    empty: true,
    revision: window.revision ?? 0,
  };
}
