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
  type Kafka,
  type Logger,
  type OpsServer,
  type RunningConsumer,
} from '@crypto-predict/core';
import { CandleStage } from './adapters/candle-stage.js';
import { runIngest, type IngestSummary } from './adapters/ingest.js';
import { krakenSource } from './adapters/kraken/kraken-source.js';
import { systemClock, type Clock } from './adapters/replay/replay-pacer.js';
import { replaySource, type ConfiguredSource } from './adapters/sources.js';
import { SERVICE, type Config } from './config.js';
import { CandleAggregator } from './domain/candle-aggregator.js';
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
}

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
  let consumer: RunningConsumer | undefined;
  let stage: CandleStage | undefined;
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
      const topics = [TOPICS.trades, TOPICS.candles].flatMap((spec) => {
        const name = topicName(config.TOPIC_PREFIX, spec.name);
        return [
          { name, partitions: spec.partitions },
          { name: deadLetterTopic(name), partitions: 1 },
        ];
      });
      await ensureTopics(kafka, topics);
      producer = await MessageProducer.connect(kafka, { prefix: config.TOPIC_PREFIX });
      const out = producer;

      if (aggregates) {
        const aggregator = new CandleAggregator({
          timeframes: config.TIMEFRAMES,
          graceMs: config.GRACE_MS,
          lateTradePolicy: config.LATE_TRADE_POLICY,
          maxLatenessMs: config.MAX_LATENESS_MS,
          maxFutureSkewMs: config.MAX_FUTURE_SKEW_MS,
        });
        const candleStage = new CandleStage(
          aggregator,
          {
            publishCandles: (candles) => out.send(TOPICS.candles, candles),
            publishDeadLetters: (letters) => out.sendDeadLetters(letters),
          },
          metrics,
          log,
          { service: SERVICE, now: () => clock.now() },
        );
        stage = candleStage;
        consumer = await startConsumer({
          kafka,
          topic: TOPICS.trades,
          prefix: config.TOPIC_PREFIX,
          groupId: config.CONSUMER_GROUP,
          service: SERVICE,
          producer: out,
          log,
          handle: candleStage.handle,
          onDeadLetter: (letter) =>
            metrics.deadLetters.inc({
              topic: letter.sourceTopic,
              cause: letter.reason.startsWith('handler failed') ? 'handler' : 'schema',
            }),
        });
        if (config.FLUSH_ON_IDLE_MS > 0) {
          const every = Math.max(50, Math.min(1_000, Math.floor(config.FLUSH_ON_IDLE_MS / 4)));
          idleTimer = setInterval(() => {
            candleStage
              .flushIfIdle(config.FLUSH_ON_IDLE_MS)
              .catch((error: unknown) => log.error({ err: describeError(error) }, 'idle flush failed; will try again'));
          }, every);
        }
        log.info(
          {
            topic: topicName(config.TOPIC_PREFIX, TOPICS.trades.name),
            group: config.CONSUMER_GROUP,
            timeframes: config.TIMEFRAMES,
            graceMs: config.GRACE_MS,
            latePolicy: config.LATE_TRADE_POLICY,
          },
          'aggregating trades into candles',
        );
      }

      if (ingests) {
        const source =
          config.SOURCE === 'kraken'
            ? krakenSource(config, log, metrics, abort.signal)
            : replaySource(config, log, metrics);
        if (source === null) throw new AppError('CONFIG_INVALID', `SOURCE=${config.SOURCE} has no trade source`);
        ingest = startIngest(source, out).catch((error: unknown) => {
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
        await consumer
          ?.stop()
          .catch((error: unknown) => log.warn({ err: describeError(error) }, 'consumer stop failed'));
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
