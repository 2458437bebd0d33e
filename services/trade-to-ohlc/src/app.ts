import {
  AppError,
  createKafka,
  createLogger,
  createMetricsRegistry,
  deadLetterTopic,
  describeError,
  ensureTopics,
  MessageProducer,
  startOpsServer,
  topicName,
  TOPICS,
  TransactionalProducer,
  type Kafka,
  type Logger,
  type OpsServer,
  type TopicToCreate,
} from '@crypto-predict/core';
import { CandleTransactions, type TransactionSink } from './adapters/exactly-once/candle-transactions.js';
import { runIngest, type IngestSummary } from './adapters/ingest.js';
import { krakenSource } from './adapters/kraken/kraken-source.js';
import { systemClock, type Clock } from './adapters/replay/replay-pacer.js';
import { replaySource, type ConfiguredSource } from './adapters/sources.js';
import { consumerGroupId, SERVICE, stateTopicName, transactionalId, type Config } from './config.js';
import { createMetrics } from './metrics.js';

export interface App {
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Resolves when a finite replay is done and EXIT_AFTER_REPLAY is set (after the aggregator,
   * if this process runs one, has caught up and flushed); rejects if the ingest fails. Never
   * settles otherwise: the service stays up.
   */
  readonly finished: Promise<void>;
  /** The ops server's port, once started (OPS_PORT=0 picks a free one). */
  opsPort(): number | undefined;
}

export interface AppDependencies {
  log?: Logger;
  clock?: Clock;
  kafka?: Kafka;
  /** Wraps the aggregator's transactional producer (tests inject failures with it). */
  wrapTransactions?: (producer: TransactionSink) => TransactionSink;
}

/** The largest aggregator state record (one trades partition), bytes. */
const MAX_STATE_BYTES = 8 * 1024 * 1024;

/** How long EXIT_AFTER_REPLAY waits for the aggregator to catch up with the ingest. */
const CATCH_UP_TIMEOUT_MS = 10 * 60_000;

/** Builds the service from its config: ingest, aggregate or both, per ROLE. */
export function buildApp(config: Config, dependencies: AppDependencies = {}): App {
  const log = dependencies.log ?? createLogger(SERVICE, config.LOG_LEVEL);
  const clock = dependencies.clock ?? systemClock;
  const registry = createMetricsRegistry(SERVICE);
  const metrics = createMetrics(registry);
  const ingests = config.ROLE !== 'aggregate' && config.SOURCE !== 'none';
  const aggregates = config.ROLE !== 'ingest';

  let ops: OpsServer | undefined;
  let producer: MessageProducer | undefined;
  let transactions: TransactionalProducer | undefined;
  let stage: CandleTransactions | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let ingest: Promise<void> | undefined;
  let running = false;
  let stopping: Promise<void> | undefined;
  const abort = new AbortController();

  let settleFinished: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    settleFinished = { resolve, reject };
  });
  finished.catch(() => undefined);

  const waitForAggregator = async (summary: IngestSummary): Promise<void> => {
    if (stage === undefined) return;
    const deadline = clock.now() + CATCH_UP_TIMEOUT_MS;
    for (;;) {
      const last = stage.lastTradeTime();
      if (stage.processed >= summary.sent && last !== null && clock.now() - last >= 500) break;
      if (clock.now() > deadline) {
        log.warn(
          { sent: summary.sent, processed: stage.processed },
          'the aggregator did not catch up with the replay in time; flushing anyway',
        );
        break;
      }
      await clock.sleep(100, abort.signal);
    }
    await stage.flush();
  };

  const startIngest = (source: ConfiguredSource, send: MessageProducer): Promise<void> =>
    runIngest({
      label: source.label,
      source: source.source,
      send: (trades) => send.send(TOPICS.trades, trades),
      batchSize: config.PRODUCE_BATCH_SIZE,
      // Live trades arrive in real time already; pacing is for replays.
      speed: config.SOURCE === 'kraken' ? 0 : config.REPLAY_SPEED,
      progressIntervalMs: config.PROGRESS_INTERVAL_MS,
      details: source.details,
      log,
      metrics,
      clock,
      signal: abort.signal,
    }).then(async (summary) => {
      if (summary.stopped || !config.EXIT_AFTER_REPLAY) return;
      await waitForAggregator(summary);
      log.info({ sent: summary.sent, processed: stage?.processed ?? null }, 'EXIT_AFTER_REPLAY: done');
      settleFinished?.resolve();
    });

  return {
    finished,
    opsPort: () => ops?.port,

    async start() {
      ops = await startOpsServer({
        port: config.OPS_PORT,
        registry,
        readiness: [{ name: 'kafka', check: () => running }],
      });
      const kafka = dependencies.kafka ?? createKafka({ brokers: config.KAFKA_BROKERS, clientId: SERVICE });
      const topics: TopicToCreate[] = [TOPICS.trades, TOPICS.candles].flatMap((spec) => {
        const name = topicName(config.TOPIC_PREFIX, spec.name);
        return [
          { name, partitions: spec.partitions },
          { name: deadLetterTopic(name), partitions: 1 },
        ];
      });
      const stateTopic = stateTopicName(config);
      if (aggregates) {
        topics.push({
          name: stateTopic,
          partitions: TOPICS.trades.partitions,
          config: {
            'cleanup.policy': 'compact',
            'min.cleanable.dirty.ratio': '0.1',
            'segment.ms': '600000',
            'max.message.bytes': String(MAX_STATE_BYTES + 1024 * 1024),
          },
        });
      }
      await ensureTopics(kafka, topics);
      if (ingests) producer = await MessageProducer.connect(kafka, { prefix: config.TOPIC_PREFIX });

      if (aggregates) {
        const txId = transactionalId(config);
        transactions = await TransactionalProducer.connect(kafka, {
          transactionalId: txId,
          maxMessageBytes: MAX_STATE_BYTES + 1024 * 1024,
        });
        const sink = dependencies.wrapTransactions?.(transactions) ?? transactions;
        const tradesTopic = topicName(config.TOPIC_PREFIX, TOPICS.trades.name);
        const loop = await CandleTransactions.start({
          kafka,
          producer: sink,
          state: {
            brokers: config.KAFKA_BROKERS,
            stateTopic,
            statePartitions: await partitionCount(kafka, stateTopic),
          },
          tradesTopic,
          candlesTopic: topicName(config.TOPIC_PREFIX, TOPICS.candles.name),
          groupId: consumerGroupId(config),
          // The instance's identity for the group too: a restart takes the partitions back at once.
          instanceId: txId,
          aggregator: {
            timeframes: config.TIMEFRAMES,
            graceMs: config.GRACE_MS,
            lateTradePolicy: config.LATE_TRADE_POLICY,
            maxLatenessMs: config.MAX_LATENESS_MS,
            maxFutureSkewMs: config.MAX_FUTURE_SKEW_MS,
          },
          commit: { intervalMs: config.COMMIT_INTERVAL_MS, maxTrades: config.COMMIT_MAX_TRADES },
          maxBatchSize: config.CONSUME_BATCH_SIZE,
          maxStateBytes: MAX_STATE_BYTES,
          service: SERVICE,
          metrics,
          log,
          now: () => clock.now(),
          onFatal: (error) => settleFinished?.reject(error),
        });
        stage = loop;
        if (config.FLUSH_ON_IDLE_MS > 0) {
          const every = Math.max(50, Math.min(1_000, Math.floor(config.FLUSH_ON_IDLE_MS / 4)));
          idleTimer = setInterval(() => {
            loop
              .flushIfIdle(config.FLUSH_ON_IDLE_MS)
              .catch((error: unknown) => log.error({ err: describeError(error) }, 'idle flush failed'));
          }, every);
        }
        log.info(
          {
            topic: tradesTopic,
            group: consumerGroupId(config),
            stateTopic,
            transactionalId: txId,
            commitIntervalMs: config.COMMIT_INTERVAL_MS,
            commitMaxTrades: config.COMMIT_MAX_TRADES,
            timeframes: config.TIMEFRAMES,
            graceMs: config.GRACE_MS,
            latePolicy: config.LATE_TRADE_POLICY,
          },
          'aggregating trades into candles, exactly once (Kafka transactions)',
        );
      }

      if (ingests) {
        const source =
          config.SOURCE === 'kraken'
            ? krakenSource(config, log, metrics, abort.signal)
            : replaySource(config, log, metrics);
        if (source === null) throw new AppError('CONFIG_INVALID', `SOURCE=${config.SOURCE} has no trade source`);
        if (producer === undefined) throw new AppError('INTERNAL', 'the ingest has no producer');
        ingest = startIngest(source, producer).catch((error: unknown) => {
          if (abort.signal.aborted) return;
          log.error({ err: describeError(error) }, 'ingest failed');
          settleFinished?.reject(error);
        });
      }
      running = true;
      log.info(
        { role: config.ROLE, source: ingests ? config.SOURCE : null, opsPort: ops.port, prefix: config.TOPIC_PREFIX },
        'trade-to-ohlc started',
      );
    },

    stop() {
      stopping ??= (async () => {
        running = false;
        abort.abort();
        if (idleTimer !== undefined) clearInterval(idleTimer);
        await ingest;
        await stage
          ?.stop()
          .catch((error: unknown) => log.warn({ err: describeError(error) }, 'aggregator stop failed'));
        await transactions
          ?.disconnect()
          .catch((error: unknown) =>
            log.warn({ err: describeError(error) }, 'transactional producer disconnect failed'),
          );
        await producer
          ?.disconnect()
          .catch((error: unknown) => log.warn({ err: describeError(error) }, 'producer disconnect failed'));
        await ops?.close();
        log.info('trade-to-ohlc stopped');
      })();
      return stopping;
    },
  };
}

async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = metadata[0]?.partitions.length ?? 0;
    if (count === 0) throw new AppError('KAFKA_UNAVAILABLE', `topic ${topic} has no partitions`);
    return count;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
