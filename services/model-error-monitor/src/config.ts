import { commonConfigShape, env, loadConfig, Pair, parseDuration, Timeframe } from '@crypto-predict/core';
import { z } from 'zod';

const HOUR_MS = 3_600_000;

const Durations = env
  .list('1h,24h,7d')
  .transform((items, ctx) => {
    const out: number[] = [];
    for (const item of items) {
      const ms = parseDuration(item);
      if (ms === null) ctx.addIssue({ code: 'custom', message: `"${item}" is not a duration like 1h, 24h or 7d` });
      else out.push(ms);
    }
    return out;
  })
  .pipe(z.array(z.number()).min(1, 'list at least one window'))
  .refine((list) => new Set(list).size === list.length, 'a window is listed twice');

/** `*` monitors every pair it sees; otherwise a comma-separated list of pairs. */
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
  .pipe(z.array(Pair).min(1, 'list at least one pair, or * for all').nullable());

const fraction = (fallback: number) => z.coerce.number().gt(0).lt(1).default(fallback);
const positive = (fallback: number) => z.coerce.number().positive().finite().default(fallback);

const ConfigSchema = z
  .object({
    ...commonConfigShape,
    OPS_PORT: env.port(9107),
    ELASTICSEARCH_URL: env.url('http://127.0.0.1:19200'),
    MLFLOW_TRACKING_URI: env.url('http://127.0.0.1:15000'),
    PAIRS: Pairs,
    CONSUMER_GROUP: env.string('model-error-monitor'),

    /** How far a pair's 1m candle watermark may pass a target before its actual counts as missing. */
    ACTUAL_GRACE_MS: env.int(5 * 60_000),
    /** Event time of 1m closes (and resolved predictions) remembered per pair. */
    ACTUALS_RETENTION_MS: env.int(48 * HOUR_MS, 60_000),
    MAX_PENDING_PER_PAIR: env.int(20_000, 1),

    METRIC_WINDOWS: Durations,

    /** Page-Hinkley on absolute % error, per pair, horizon and model version. */
    PH_WARMUP: env.int(100, 1),
    PH_DELTA: z.coerce.number().nonnegative().default(0.25),
    PH_LAMBDA: positive(30),
    PH_CLIP: positive(5),

    COVERAGE_WINDOW: env.int(200, 1),
    COVERAGE_MIN_SAMPLES: env.int(50, 1),
    COVERAGE_Z: positive(3),
    COVERAGE_TOLERANCE: fraction(0.05),

    /** Feature drift (PSI) of live `features` against the champion's training reference. */
    FEATURE_DRIFT: env.bool(true),
    /** Registered model name; by default `price-<BASE>-<QUOTE>-<FEATURE_TIMEFRAME>` per pair. */
    MODEL_NAME: z.string().min(1).optional(),
    MODEL_ALIAS: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'an alias is letters, digits, _ and -')
      .default('champion'),
    FEATURE_TIMEFRAME: Timeframe.default('1m'),
    CONTRACT_REFRESH_MS: env.int(5 * 60_000, 1_000),
    PSI_WINDOW_ROWS: env.int(1_440, 1),
    PSI_MIN_ROWS: env.int(200, 1),
    PSI_EVERY_ROWS: env.int(60, 1),
    PSI_WARNING: positive(0.1),
    PSI_CRITICAL: positive(0.25),

    ALERT_COOLDOWN_MS: env.int(HOUR_MS),
    ALERT_WEBHOOK_URL: z.url().optional(),
    ALERT_WEBHOOK_TIMEOUT_MS: env.int(5_000, 1),
    ALERT_WEBHOOK_RETRIES: env.int(3),

    RETRAIN_MIN_ALARMS: env.int(2, 1),
    RETRAIN_LOOKBACK_MS: env.int(6 * HOUR_MS, 1),
    RETRAIN_COOLDOWN_MS: env.int(24 * HOUR_MS),
  })
  .refine((c) => c.ACTUALS_RETENTION_MS > c.ACTUAL_GRACE_MS, {
    message: 'ACTUALS_RETENTION_MS must be longer than ACTUAL_GRACE_MS',
    path: ['ACTUALS_RETENTION_MS'],
  })
  .refine((c) => c.COVERAGE_WINDOW >= c.COVERAGE_MIN_SAMPLES, {
    message: 'COVERAGE_WINDOW must hold at least COVERAGE_MIN_SAMPLES outcomes',
    path: ['COVERAGE_WINDOW'],
  })
  .refine((c) => c.PSI_CRITICAL >= c.PSI_WARNING, {
    message: 'PSI_CRITICAL must not be below PSI_WARNING',
    path: ['PSI_CRITICAL'],
  })
  .refine((c) => c.MODEL_NAME === undefined || (c.PAIRS !== null && c.PAIRS.length === 1), {
    message:
      'MODEL_NAME names one model, so PAIRS must list exactly one pair (leave it unset to derive a name per pair)',
    path: ['MODEL_NAME'],
  });

export type MonitorConfig = z.output<typeof ConfigSchema>;

export function loadMonitorConfig(source: Record<string, string | undefined> = process.env): MonitorConfig {
  return loadConfig(ConfigSchema, source);
}

/** The registered model name of a pair, as the trainer names it: `price-BTC-USDT-1m`. */
export function modelNameFor(config: Pick<MonitorConfig, 'MODEL_NAME' | 'FEATURE_TIMEFRAME'>, pair: string): string {
  return config.MODEL_NAME ?? `price-${pair.replace('/', '-')}-${config.FEATURE_TIMEFRAME}`;
}
