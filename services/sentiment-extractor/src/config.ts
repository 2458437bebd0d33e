import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commonConfigShape, env, loadConfig } from '@crypto-predict/core';
import { DEFAULT_DATABASE_URL, sentimentSettingsProblems } from '@crypto-predict/feature-store';
import { z } from 'zod';
import { EMBEDDER_NAMES, EMBEDDERS, type EmbedderName } from './domain/embedders.js';

const SERVICE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** shared/data sits beside the repository. */
const DEFAULT_DATA_DIR = resolve(SERVICE_DIR, '../../../shared/data');
const DEFAULT_MODELS_DIR = join(SERVICE_DIR, 'models');

const isoTime = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value.trim() === '') return undefined;
    const ms = Date.parse(value);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'an ISO-8601 time, e.g. 2025-11-15T00:00:00Z' });
      return z.NEVER;
    }
    return ms;
  });

const optionalSecret = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

export const SOURCES = ['replay', 'cryptopanic', 'newsapi', 'rss', 'none'] as const;
export const SCORERS = ['classifier', 'lexicon', 'llm', 'openai'] as const;

export const ConfigSchema = z
  .object({
    ...commonConfigShape,
    OPS_PORT: env.port(9103),
    SOURCE: z.enum(SOURCES).default('replay'),
    /** Which scorer answers; the default is the best-measured local method (README, figures). */
    SCORER: z.enum(SCORERS).default('classifier'),
    /** Run the scorer (news → sentiment); off for a source-only deployment. */
    SCORE: env.bool(true),
    /** Score with the lexicon (loudly) when the configured scorer's model files are missing. */
    LEXICON_IF_NO_MODEL: env.bool(true),
    SCORER_GROUP_ID: env.string('sentiment-extractor'),
    /** Write the `sentiment` topic to the feature store (items + per-coin aggregates). */
    STORE: env.bool(true),
    STORE_GROUP_ID: env.string('sentiment-extractor-store'),
    DATABASE_URL: env.string(DEFAULT_DATABASE_URL),
    /** Aggregate windows over publication time, `<number><m|h|d>`; they name the features. */
    SENTIMENT_WINDOWS: env.list('1h,4h,24h'),
    /** Half-life of the decay-weighted mean. */
    SENTIMENT_HALF_LIFE: env.string('1h'),
    /** Added to an item's receipt before a feature row may see it (a processing allowance). */
    SENTIMENT_LAG_MS: env.int(0, 0),
    MAX_COINS_PER_ITEM: env.int(8, 1),
    DATA_DIR: env.string(DEFAULT_DATA_DIR),
    NEWS_FILE: z.string().optional(),
    REPLAY_FROM: isoTime,
    REPLAY_TO: isoTime,
    REPLAY_SPEED: z.coerce.number().finite().min(0).default(0),
    CRYPTOPANIC_TOKEN: optionalSecret,
    CRYPTOPANIC_URL: env.url('https://cryptopanic.com/api/v1/posts/'),
    CRYPTOPANIC_POLL_MS: env.int(60_000, 1_000),
    CRYPTOPANIC_CURRENCIES: z.string().optional(),
    NEWSAPI_KEY: optionalSecret,
    NEWSAPI_URL: env.url('https://newsapi.org/v2/everything'),
    NEWSAPI_QUERY: env.string('bitcoin OR ethereum OR crypto OR cryptocurrency'),
    NEWSAPI_POLL_MS: env.int(900_000, 1_000),
    RSS_FEEDS: env.list(
      'https://www.coindesk.com/arc/outboundfeeds/rss/,https://cointelegraph.com/rss,https://decrypt.co/feed',
    ),
    RSS_POLL_MS: env.int(300_000, 1_000),
    HTTP_TIMEOUT_MS: env.int(15_000, 100),
    MODELS_DIR: env.string(DEFAULT_MODELS_DIR),
    LLM_MODEL_FILE: env.string('gemma-3-270m-q4_k_m.gguf'),
    LLM_CONTEXT_SIZE: env.int(2048, 256),
    LLM_SEQUENCES: env.int(1, 1),
    LLM_THREADS: env.int(2, 1),
    LLM_TIMEOUT_MS: env.int(30_000, 100),
    LLM_RETRIES: env.int(1, 0),
    LLM_CONCURRENCY: env.int(1, 1),
    LLM_CACHE_SIZE: env.int(10_000, 0),
    LLM_FEW_SHOT: env.bool(true),
    OPENAI_BASE_URL: env.url('http://127.0.0.1:11434/v1'),
    OPENAI_API_KEY: optionalSecret,
    OPENAI_MODEL: env.string('gpt-4o-mini'),
    EMBEDDER_THREADS: env.int(2, 1),
    SENTIMENT_HEAD_FILE: env.string('sentiment-head.json'),
  })
  .superRefine((config, ctx) => {
    if (config.SOURCE === 'cryptopanic' && config.CRYPTOPANIC_TOKEN === undefined) {
      ctx.addIssue({ code: 'custom', path: ['CRYPTOPANIC_TOKEN'], message: 'required when SOURCE=cryptopanic' });
    }
    if (config.SOURCE === 'newsapi' && config.NEWSAPI_KEY === undefined) {
      ctx.addIssue({ code: 'custom', path: ['NEWSAPI_KEY'], message: 'required when SOURCE=newsapi' });
    }
    if (config.LLM_CONCURRENCY > config.LLM_SEQUENCES && config.SCORER === 'llm') {
      ctx.addIssue({
        code: 'custom',
        path: ['LLM_CONCURRENCY'],
        message: 'cannot exceed LLM_SEQUENCES for the local LLM',
      });
    }
    for (const problem of sentimentSettingsProblems({
      windows: config.SENTIMENT_WINDOWS,
      halfLife: config.SENTIMENT_HALF_LIFE,
      lagMs: config.SENTIMENT_LAG_MS,
    })) {
      ctx.addIssue({ code: 'custom', path: ['SENTIMENT_WINDOWS'], message: problem });
    }
    if (config.REPLAY_FROM !== undefined && config.REPLAY_TO !== undefined && config.REPLAY_FROM >= config.REPLAY_TO) {
      ctx.addIssue({ code: 'custom', path: ['REPLAY_TO'], message: 'must be after REPLAY_FROM' });
    }
  })
  .transform((config) => ({
    ...config,
    /** Recorded files to replay: NEWS_FILE (comma-separated) or the CryptoPanic recording. */
    newsFiles: (config.NEWS_FILE ?? join(config.DATA_DIR, 'news/cryptopanic_2025-11-14_2025-11-17.csv.gz'))
      .split(',')
      .map((file) => file.trim())
      .filter((file) => file !== ''),
    sentimentSettings: {
      windows: config.SENTIMENT_WINDOWS,
      halfLife: config.SENTIMENT_HALF_LIFE,
      lagMs: config.SENTIMENT_LAG_MS,
    },
    modelPaths: {
      llm: join(config.MODELS_DIR, config.LLM_MODEL_FILE),
      /** Every known sentence encoder's files; a head names the ones it reads. */
      embedders: Object.fromEntries(
        EMBEDDER_NAMES.map((name) => [
          name,
          {
            onnx: join(config.MODELS_DIR, `${EMBEDDERS[name].file}.onnx`),
            vocab: join(config.MODELS_DIR, `${EMBEDDERS[name].file}.vocab.txt`),
          },
        ]),
      ) as Record<EmbedderName, { onnx: string; vocab: string }>,
      head: join(config.MODELS_DIR, config.SENTIMENT_HEAD_FILE),
    },
  }));

export type Config = z.output<typeof ConfigSchema>;

export function loadServiceConfig(environment: Record<string, string | undefined> = process.env): Config {
  return loadConfig(ConfigSchema, environment);
}
