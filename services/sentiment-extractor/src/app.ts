import {
  AppError,
  createKafka,
  createLogger,
  createMetricsRegistry,
  deadLetterTopic,
  describeError,
  ensureTopics,
  MessageProducer,
  startConsumer,
  startOpsServer,
  topicName,
  TOPICS,
  type Logger,
  type OpsServer,
  type RunningConsumer,
} from '@crypto-predict/core';
import { createPool, migrate, SentimentStoreWriter } from '@crypto-predict/feature-store';
import type { Registry } from 'prom-client';
import { systemClock, type Clock } from './adapters/clock.js';
import { createSentimentMetrics, type SentimentMetrics } from './adapters/metrics.js';
import { newsPublisher } from './adapters/news-publisher.js';
import { sentimentHandler } from './adapters/sentiment-handler.js';
import { buildScorer } from './adapters/scoring/build-scorer.js';
import type { NewsScorer } from './adapters/scoring/news-scorer.js';
import { cryptoPanicPoll } from './adapters/sources/cryptopanic-source.js';
import type { NewsSource } from './adapters/sources/news-source.js';
import { newsApiPoll } from './adapters/sources/newsapi-source.js';
import { PollingSource } from './adapters/sources/polling-source.js';
import { ReplaySource } from './adapters/sources/replay-source.js';
import { feedName, rssPoll } from './adapters/sources/rss-source.js';
import type { Config } from './config.js';
import { CoinDetector } from './domain/coins.js';
import { NewsDeduper } from './domain/dedupe.js';

export const SERVICE = 'sentiment-extractor';

export interface AppDependencies {
  clock?: Clock;
  log?: Logger;
  registry?: Registry;
  /** A ready scorer (tests); otherwise the one SCORER names is built. */
  scorer?: NewsScorer;
  fetch?: typeof fetch;
  /** Called when a source fails for good (a bad key); main exits non-zero. */
  onFatal?: (error: unknown) => void;
  /** The feature store's pool (tests pass one on their own schema); otherwise one on DATABASE_URL. */
  pool?: FeatureStorePool;
}

type FeatureStorePool = ReturnType<typeof createPool>;

export interface SentimentApp {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves when every source has finished (a replay reached its end) or stopped. */
  sourcesDone(): Promise<void>;
  readonly metrics: SentimentMetrics;
  readonly opsPort: number | undefined;
}

/**
 * Builds the service: the configured source writes deduplicated NewsItems to `news`; the scorer
 * consumes `news` and writes one Sentiment per item and coin to `sentiment`, committing the news
 * offsets only after the sentiment messages are on the broker; the store consumes `sentiment` and
 * writes it to the feature store (items and per-coin aggregates), committing after the write.
 */
export function buildApp(config: Config, deps: AppDependencies = {}): SentimentApp {
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? createLogger(SERVICE, config.LOG_LEVEL);
  const registry = deps.registry ?? createMetricsRegistry(SERVICE);
  const metrics = createSentimentMetrics(registry);
  const detector = new CoinDetector();
  const abort = new AbortController();
  let producer: MessageProducer | undefined;
  let consumer: RunningConsumer | undefined;
  let scorer: NewsScorer | undefined;
  let storeConsumer: RunningConsumer | undefined;
  let pool: FeatureStorePool | undefined;
  let ops: OpsServer | undefined;
  let running: Promise<void>[] = [];

  const sources = (): NewsSource[] => {
    const base = { clock, log, metrics };
    const fetchOption = deps.fetch === undefined ? {} : { fetch: deps.fetch };
    switch (config.SOURCE) {
      case 'replay':
        return [
          new ReplaySource({
            files: config.newsFiles,
            window: { from: config.REPLAY_FROM, to: config.REPLAY_TO },
            speed: config.REPLAY_SPEED,
            clock,
            log,
          }),
        ];
      case 'cryptopanic':
        return [
          new PollingSource(
            'cryptopanic',
            cryptoPanicPoll({
              url: config.CRYPTOPANIC_URL,
              token: config.CRYPTOPANIC_TOKEN ?? '',
              currencies: config.CRYPTOPANIC_CURRENCIES,
              timeoutMs: config.HTTP_TIMEOUT_MS,
              clock,
              ...fetchOption,
            }),
            { intervalMs: config.CRYPTOPANIC_POLL_MS },
            base,
          ),
        ];
      case 'newsapi':
        return [
          new PollingSource(
            'newsapi',
            newsApiPoll({
              url: config.NEWSAPI_URL,
              apiKey: config.NEWSAPI_KEY ?? '',
              query: config.NEWSAPI_QUERY,
              timeoutMs: config.HTTP_TIMEOUT_MS,
              clock,
              ...fetchOption,
            }),
            { intervalMs: config.NEWSAPI_POLL_MS },
            base,
          ),
        ];
      case 'rss':
        return config.RSS_FEEDS.map(
          (url) =>
            new PollingSource(
              `rss:${feedName(url)}`,
              rssPoll({ url, timeoutMs: config.HTTP_TIMEOUT_MS, clock, ...fetchOption }),
              { intervalMs: config.RSS_POLL_MS },
              base,
            ),
        );
      case 'none':
        return [];
    }
  };

  /**
   * The configured scorer; if its model files are missing and LEXICON_IF_NO_MODEL is on, the
   * lexicon instead (every message then says method: 'lexicon'), so a machine without the
   * models still produces sentiment.
   */
  const buildConfiguredScorer = async (): Promise<NewsScorer> => {
    try {
      return await buildScorer(config.SCORER, config, { detector, clock, log, metrics });
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'MODEL_UNAVAILABLE' && config.LEXICON_IF_NO_MODEL)) throw error;
      log.error(
        { err: describeError(error), scorer: config.SCORER },
        'configured scorer unavailable, scoring with the lexicon',
      );
      metrics.fallbacks.inc({ reason: 'MODEL_UNAVAILABLE' });
      return buildScorer('lexicon', config, { detector, clock, log, metrics });
    }
  };

  return {
    metrics,
    get opsPort() {
      return ops?.port;
    },
    async start() {
      const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: SERVICE });
      const newsTopic = topicName(config.TOPIC_PREFIX, TOPICS.news.name);
      const sentimentTopic = topicName(config.TOPIC_PREFIX, TOPICS.sentiment.name);
      await ensureTopics(kafka, [
        { name: newsTopic, partitions: TOPICS.news.partitions },
        { name: sentimentTopic, partitions: TOPICS.sentiment.partitions },
        { name: deadLetterTopic(newsTopic), partitions: 1 },
        { name: deadLetterTopic(sentimentTopic), partitions: 1 },
      ]);
      let writer: SentimentStoreWriter | undefined;
      if (config.STORE) {
        pool = deps.pool ?? createPool(config.DATABASE_URL, { applicationName: SERVICE });
        const migrations = await migrate(pool);
        if (migrations.applied.length > 0) log.info({ applied: migrations.applied }, 'feature store migrated');
        writer = new SentimentStoreWriter(pool);
        const { rebuilt } = await writer.configure(config.sentimentSettings);
        log.info({ ...config.sentimentSettings, rebuilt }, 'sentiment aggregates configured');
      }
      producer = await MessageProducer.connect(kafka, { prefix: config.TOPIC_PREFIX });
      ops = await startOpsServer({
        port: config.OPS_PORT,
        registry,
        readiness: [
          { name: 'kafka-producer', check: () => producer !== undefined },
          { name: 'scorer', check: () => !config.SCORE || scorer !== undefined },
          {
            name: 'feature-store',
            check: async () => {
              if (pool === undefined) return !config.STORE;
              await pool.query('SELECT 1');
              return storeConsumer !== undefined;
            },
          },
        ],
      });
      log.info(
        {
          opsPort: ops.port,
          source: config.SOURCE,
          scorer: config.SCORE ? config.SCORER : 'off',
          store: config.STORE,
          prefix: config.TOPIC_PREFIX,
        },
        'starting',
      );

      if (config.SCORE) {
        scorer = deps.scorer ?? (await buildConfiguredScorer());
        log.info({ scorer: scorer.name }, 'scorer ready');
        consumer = await startConsumer({
          kafka,
          topic: TOPICS.news,
          prefix: config.TOPIC_PREFIX,
          groupId: config.SCORER_GROUP_ID,
          service: SERVICE,
          producer,
          log,
          // A local LLM scores ~1 item/s on 2 cores: small batches keep a batch well inside
          // the consumer's max poll interval (5 min), so the group does not evict the scorer.
          maxBatchSize: config.SCORER === 'llm' ? 8 : 64,
          handle: sentimentHandler({
            scorer,
            detector,
            producer,
            clock,
            metrics,
            log,
            maxCoinsPerItem: config.MAX_COINS_PER_ITEM,
          }),
        });
      }

      if (writer !== undefined) {
        const store = writer;
        storeConsumer = await startConsumer({
          kafka,
          topic: TOPICS.sentiment,
          prefix: config.TOPIC_PREFIX,
          groupId: config.STORE_GROUP_ID,
          service: SERVICE,
          producer,
          log,
          handle: async (batch) => {
            const stop = metrics.storeSeconds.startTimer();
            const result = await store.write(batch.map((message) => message.value));
            stop();
            metrics.storeItems.inc({ outcome: 'changed' }, result.changed);
            metrics.storeItems.inc({ outcome: 'unchanged' }, batch.length - result.changed);
            metrics.storeSteps.inc(result.steps);
          },
        });
      }

      const deduper = new NewsDeduper();
      const activeProducer = producer;
      running = sources().map((source) =>
        source
          .run(newsPublisher({ producer: activeProducer, deduper, metrics, log, source: source.name }), abort.signal)
          .catch((error: unknown) => {
            log.error({ source: source.name, err: describeError(error) }, 'news source stopped');
            deps.onFatal?.(error);
          }),
      );
    },
    async sourcesDone() {
      await Promise.all(running);
    },
    async stop() {
      abort.abort();
      await Promise.all(running);
      await consumer?.stop().catch((error: unknown) => log.warn({ err: describeError(error) }, 'consumer stop failed'));
      await storeConsumer
        ?.stop()
        .catch((error: unknown) => log.warn({ err: describeError(error) }, 'store consumer stop failed'));
      if (deps.pool === undefined) await pool?.end().catch(() => undefined);
      await producer
        ?.disconnect()
        .catch((error: unknown) => log.warn({ err: describeError(error) }, 'producer disconnect failed'));
      await scorer?.close?.();
      await ops?.close();
      log.info('stopped');
    },
  };
}
