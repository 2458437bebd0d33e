import {
  commonConfigShape,
  env,
  HorizonMinutes,
  loadConfig,
  Pair,
  parseDuration,
  Timeframe,
  timeframeMs,
} from '@crypto-predict/core';
import { z } from 'zod';

const duration = (fallback: string, minMs: number) =>
  z
    .string()
    .default(fallback)
    .transform((value, context) => {
      const ms = parseDuration(value);
      if (ms === null) {
        context.addIssue({ code: 'custom', message: `"${value}" is not a duration like 30s, 15m, 1h or 24h` });
        return z.NEVER;
      }
      return ms;
    })
    .pipe(z.number().min(minMs, `at least ${minMs / 1000}s`));

/** `*` shows every pair seen (up to MAX_PAIRS); otherwise a comma-separated list of pairs. */
const Pairs = z
  .string()
  .default('BTC/USDT')
  .transform((value) =>
    value.trim() === '*'
      ? null
      : value
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item.length > 0),
  )
  .pipe(z.array(Pair).min(1, 'list at least one pair, or * for every pair seen').nullable());

const Horizons = env
  .list('1,5,15,60')
  .transform((items, context) => {
    const out: number[] = [];
    for (const item of items) {
      const parsed = HorizonMinutes.safeParse(/^[0-9]+$/.test(item) ? Number(item) : Number.NaN);
      if (parsed.success) out.push(parsed.data);
      else context.addIssue({ code: 'custom', message: `"${item}" is not a horizon in whole minutes` });
    }
    return out;
  })
  .pipe(z.array(z.number()).min(1, 'list at least one horizon'))
  .refine((list) => new Set(list).size === list.length, 'a horizon is listed twice');

const ConfigSchema = z
  .object({
    ...commonConfigShape,
    /** The page and its JSON. */
    PORT: env.port(8088),
    HOST: env.string('127.0.0.1'),
    OPS_PORT: env.port(9108),
    PAIRS: Pairs,
    MAX_PAIRS: env.int(20, 1),
    TIMEFRAME: Timeframe.default('1m'),
    HORIZONS: Horizons,
    /** Event time kept per pair (and per coin) behind its newest event. */
    HISTORY_SPAN: duration('24h', 60_000),
    /** Default trailing window of the error metrics; the page may ask for another. */
    METRIC_WINDOW: duration('1h', 60_000),
    /** Spacing of the metric points over time. */
    METRIC_STEP: duration('5m', 60_000),
    SENTIMENT_BUCKET: duration('1h', 60_000),
    MAX_ALERTS: env.int(500, 1),
    MAX_SENTIMENT_ITEMS: env.int(5_000, 1),
    /** How often the page asks for new data. */
    POLL_MS: env.int(5_000, 500),
    /** Prefix of the consumer groups, which are unique per process and deleted on stop. */
    CONSUMER_GROUP: env.string('dashboard'),
  })
  .refine((c) => c.METRIC_WINDOW <= c.HISTORY_SPAN, {
    message: 'METRIC_WINDOW must not be longer than HISTORY_SPAN',
    path: ['METRIC_WINDOW'],
  })
  .refine((c) => c.HISTORY_SPAN >= timeframeMs(c.TIMEFRAME), {
    message: 'HISTORY_SPAN must hold at least one candle of TIMEFRAME',
    path: ['HISTORY_SPAN'],
  });

export type DashboardConfig = z.output<typeof ConfigSchema>;

export function loadDashboardConfig(source: Record<string, string | undefined> = process.env): DashboardConfig {
  return loadConfig(ConfigSchema, source);
}
