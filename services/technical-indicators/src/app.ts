import {
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
import { createPool, FeatureStoreWriter, migrate } from '@crypto-predict/feature-store';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { CandleProcessor } from './adapters/candle-processor.js';
import { loadFeatureSet } from './adapters/feature-config-file.js';
import { createIndicatorMetrics } from './adapters/metrics.js';
import { IndicatorStateStore } from './adapters/state-store.js';
import type { ServiceConfig } from './config.js';
import { FeatureEngine } from './domain/features/feature-engine.js';

export const SERVICE = 'technical-indicators';

export interface AppDependencies {
  log?: Logger;
  kafka?: Kafka;
  pool?: pg.Pool;
  registry?: Registry;
}

export interface IndicatorsApp {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly opsPort: number | null;
  readonly engine: FeatureEngine;
}

/**
 * Builds the service. ROLE=compute consumes `candles` (configured timeframes only), computes
 * features per (pair, timeframe), publishes them to `features` and snapshots the engine to
 * indicator_state; ROLE=store consumes `features` in its own group and writes the feature store;
 * both (the default) runs the two. Offsets are committed only after the outputs are durable.
 */
export function buildApp(config: ServiceConfig, deps: AppDependencies = {}): IndicatorsApp {
  const log = deps.log ?? createLogger(SERVICE, config.LOG_LEVEL);
  const featureSet = loadFeatureSet(config.INDICATORS_CONFIG);
  const engine = new FeatureEngine(featureSet);
  const kafka = deps.kafka ?? createKafka({ brokers: config.KAFKA_BROKERS, clientId: SERVICE });
  const ownPool = deps.pool === undefined;
  const pool = deps.pool ?? createPool(config.DATABASE_URL, { applicationName: SERVICE });
  const registry = deps.registry ?? createMetricsRegistry(SERVICE);
  const metrics = createIndicatorMetrics(registry);
  const compute = config.ROLE === 'compute' || config.ROLE === 'both';
  const store = config.ROLE === 'store' || config.ROLE === 'both';

  let producer: MessageProducer | undefined;
  const consumers: RunningConsumer[] = [];
  let ops: OpsServer | undefined;
  let running = false;

  return {
    engine,
    get opsPort() {
      return ops?.port ?? null;
    },

    async start() {
      log.info(
        {
          role: config.ROLE,
          featureSet: featureSet.hash,
          features: featureSet.features.length,
          timeframes: featureSet.timeframes,
        },
        'starting',
      );
      const migrations = await migrate(pool);
      if (migrations.applied.length > 0) log.info({ applied: migrations.applied }, 'feature store migrated');
      const topics = [TOPICS.candles, TOPICS.features].flatMap((topic) => {
        const name = topicName(config.TOPIC_PREFIX, topic.name);
        return [
          { name, partitions: topic.partitions },
          { name: deadLetterTopic(name), partitions: 1 },
        ];
      });
      await ensureTopics(kafka, topics);
      producer = await MessageProducer.connect(kafka, { prefix: config.TOPIC_PREFIX });
      const sender = producer;

      if (compute) {
        const state = new IndicatorStateStore(pool);
        let restored = 0;
        for (const snapshot of await state.load(featureSet.hash)) {
          if (engine.restore(snapshot)) restored += 1;
        }
        metrics.warmups.inc({ source: 'snapshot' }, restored);
        metrics.series.set(restored);
        log.info({ restored }, 'engine state restored from indicator_state');
        const processor = new CandleProcessor({
          engine,
          publish: (rows) => sender.send(TOPICS.features, rows),
          state,
          log,
          metrics,
          warmupCandles: config.WARMUP_CANDLES,
          keepCandles: config.KEEP_CANDLE_HISTORY,
        });
        consumers.push(
          await startConsumer({
            kafka,
            topic: TOPICS.candles,
            prefix: config.TOPIC_PREFIX,
            groupId: config.COMPUTE_GROUP,
            service: SERVICE,
            producer: sender,
            log,
            handle: async (messages) => {
              await processor.handle(messages.map((message) => message.value));
            },
          }),
        );
      }

      if (store) {
        const writer = new FeatureStoreWriter(pool);
        consumers.push(
          await startConsumer({
            kafka,
            topic: TOPICS.features,
            prefix: config.TOPIC_PREFIX,
            groupId: config.STORE_GROUP,
            service: SERVICE,
            producer: sender,
            log,
            handle: async (messages) => {
              const stop = metrics.storeSeconds.startTimer();
              const result = await writer.write(messages.map((message) => message.value));
              metrics.rowsStored.inc(result.rows);
              stop();
            },
          }),
        );
      }

      ops = await startOpsServer({
        port: config.OPS_PORT,
        registry,
        readiness: [
          { name: 'consumers', check: () => running },
          {
            name: 'postgres',
            check: async () => {
              await pool.query('SELECT 1');
              return true;
            },
          },
        ],
      });
      running = true;
      log.info({ opsPort: ops.port, role: config.ROLE }, 'started');
    },

    async stop() {
      running = false;
      const results = await Promise.allSettled([...consumers.splice(0).map((consumer) => consumer.stop())]);
      await producer
        ?.disconnect()
        .catch((error: unknown) => log.warn({ err: describeError(error) }, 'producer disconnect failed'));
      await ops?.close();
      if (ownPool) await pool.end();
      for (const result of results) {
        if (result.status === 'rejected') log.warn({ err: describeError(result.reason) }, 'consumer stop failed');
      }
      log.info('stopped');
    },
  };
}
