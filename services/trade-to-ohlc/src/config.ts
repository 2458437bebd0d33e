import { z } from 'zod';
import { commonConfigShape, env, groupName, loadConfig, Pair, Timeframe, topicName } from '@crypto-predict/core';

export const SERVICE = 'trade-to-ohlc';

const isoTime = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const time = Date.parse(value);
      if (Number.isNaN(time)) {
        ctx.addIssue({ code: 'custom', message: 'must be an ISO date-time such as 2024-08-08T00:00:00Z' });
        return z.NEVER;
      }
      return time;
    });

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

export const ConfigSchema = z
  .object({
    ...commonConfigShape,
    OPS_PORT: env.port(9101),
    /** ingest: a source to the trades topic; aggregate: trades topic to candles topic; both. */
    ROLE: z.enum(['ingest', 'aggregate', 'both']).default('both'),
    SOURCE: z.enum(['replay-candles', 'replay-ticks', 'replay-csv', 'kraken', 'none']).default('replay-candles'),
    PAIRS: env.list('BTC/USDT').pipe(z.array(Pair).min(1)),
    TIMEFRAMES: env.list('1m,5m,15m,1h').pipe(z.array(Timeframe).min(1)),
    GRACE_MS: env.int(2_000),
    LATE_TRADE_POLICY: z.enum(['revise', 'reject']).default('revise'),
    MAX_LATENESS_MS: env.int(3_600_000),
    MAX_FUTURE_SKEW_MS: env.int(300_000),
    /** Close the windows holding trades after this long without a trade (0 = never). */
    FLUSH_ON_IDLE_MS: env.int(0),
    /** Consumer group of the aggregator; also names its state topic `<prefix>.<group>-state`. */
    CONSUMER_GROUP: env.string('trade-to-ohlc'),
    /**
     * Transactional id of the aggregator: stable across restarts of one instance, unique among
     * instances running at once (default `<prefix>.<group>-0`, for one instance).
     */
    TRANSACTIONAL_ID: optionalString,
    /** Commit the aggregator's transaction at least this often (ms) while work is pending. */
    COMMIT_INTERVAL_MS: env.int(500, 1),
    /** ...and once this many trades are in it. */
    COMMIT_MAX_TRADES: env.int(50_000, 1),
    /** The most trades the aggregator takes from the consumer at once. */
    CONSUME_BATCH_SIZE: env.int(10_000, 1),
    /** The file for replay-ticks (default: the capture in shared/data) and replay-csv (required). */
    REPLAY_FILE: optionalString,
    REPLAY_FROM: isoTime('2024-08-08T00:00:00Z'),
    REPLAY_TO: isoTime('2024-08-09T00:00:00Z'),
    /** Times real time: 60 replays a minute per second; 0 is as fast as possible. */
    REPLAY_SPEED: z.coerce.number().finite().min(0).default(0),
    EXIT_AFTER_REPLAY: env.bool(false),
    PRODUCE_BATCH_SIZE: env.int(2_000, 1),
    PROGRESS_INTERVAL_MS: env.int(5_000, 100),
    CRYPTO_SHARED_DATA: optionalString,
    KRAKEN_WS_URL: env.url('wss://ws.kraken.com/v2'),
    KRAKEN_REST_URL: env.url('https://api.kraken.com'),
    /** SOURCE=kraken: first backfill each pair from REST since this time (ISO), then go live. */
    KRAKEN_BACKFILL_FROM: optionalString.pipe(
      z
        .string()
        .optional()
        .refine((value) => value === undefined || !Number.isNaN(Date.parse(value)), 'must be an ISO date-time')
        .transform((value) => (value === undefined ? undefined : Date.parse(value))),
    ),
    KRAKEN_STALE_AFTER_MS: env.int(15_000, 100),
    KRAKEN_REST_MIN_INTERVAL_MS: env.int(1_000),
  })
  .superRefine((config, ctx) => {
    if (!/^[A-Za-z0-9._-]+$/.test(config.CONSUMER_GROUP)) {
      ctx.addIssue({
        code: 'custom',
        path: ['CONSUMER_GROUP'],
        message: 'must use only letters, digits, ".", "_" and "-" (it names the state topic)',
      });
    }
    if (config.SOURCE === 'replay-csv' && config.REPLAY_FILE === undefined) {
      ctx.addIssue({ code: 'custom', path: ['REPLAY_FILE'], message: 'SOURCE=replay-csv needs REPLAY_FILE' });
    }
    if (config.REPLAY_TO <= config.REPLAY_FROM) {
      ctx.addIssue({ code: 'custom', path: ['REPLAY_TO'], message: 'REPLAY_TO must be after REPLAY_FROM' });
    }
  });

export type Config = z.output<typeof ConfigSchema>;

export function readConfig(environment: Record<string, string | undefined> = process.env): Config {
  return loadConfig(ConfigSchema, environment);
}

/** The consumer group id the aggregate role joins as: `<prefix>.<CONSUMER_GROUP>`, as its state topic is named. */
export function consumerGroupId(config: Pick<Config, 'TOPIC_PREFIX' | 'CONSUMER_GROUP'>): string {
  return groupName(config.TOPIC_PREFIX, config.CONSUMER_GROUP);
}

/** The aggregator's state topic: compacted on the trades partition, one record per commit. */
export function stateTopicName(config: Pick<Config, 'TOPIC_PREFIX' | 'CONSUMER_GROUP'>): string {
  return topicName(config.TOPIC_PREFIX, `${config.CONSUMER_GROUP}-state`);
}

export function transactionalId(config: Pick<Config, 'TOPIC_PREFIX' | 'CONSUMER_GROUP' | 'TRANSACTIONAL_ID'>): string {
  return config.TRANSACTIONAL_ID ?? `${topicName(config.TOPIC_PREFIX, config.CONSUMER_GROUP)}-0`;
}
