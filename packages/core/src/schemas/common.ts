import { z } from 'zod';

/** A trading pair as BASE/QUOTE in upper case, e.g. BTC/USDT (Kraken v2 writes pairs this way). */
export const Pair = z
  .string()
  .regex(/^[A-Z0-9]{2,12}\/[A-Z0-9]{2,12}$/, 'a pair is BASE/QUOTE in upper case, e.g. BTC/USDT');
export type Pair = z.infer<typeof Pair>;

/** A candle length: a count and a unit, minutes, hours or days (1m, 5m, 15m, 1h, 1d). */
export const Timeframe = z.string().regex(/^[1-9][0-9]*[mhd]$/, 'a timeframe is like 1m, 5m, 15m, 1h or 1d');
export type Timeframe = z.infer<typeof Timeframe>;

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function timeframeMs(timeframe: Timeframe): number {
  const unit = timeframe.slice(-1) as keyof typeof UNIT_MS;
  return Number(timeframe.slice(0, -1)) * UNIT_MS[unit];
}

/** Milliseconds since the Unix epoch, UTC. Bounded to 2000..2100 so absurd clocks are caught. */
export const EpochMs = z
  .number()
  .int()
  .min(946_684_800_000, 'time is before 2000-01-01')
  .max(4_102_444_800_000, 'time is after 2100-01-01');

export const PositiveNumber = z.number().positive().finite();
export const NonNegativeNumber = z.number().nonnegative().finite();

/** A coin's ticker, e.g. BTC, ETH. */
export const Ticker = z.string().regex(/^[A-Z0-9]{2,12}$/, 'a ticker is 2-12 upper-case letters or digits');

/** Horizon of a prediction, in minutes. */
export const HorizonMinutes = z.number().int().positive().max(10_080);

/** Identity of the model that served a prediction, and which rung of the fallback ladder it was. */
export const ServedModel = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  servedBy: z.enum(['champion', 'previous', 'pinned', 'naive']),
});
export type ServedModel = z.infer<typeof ServedModel>;
