import {
  createElasticClient,
  createKafka,
  createLogger,
  createMetricsRegistry,
  deadLetterTopic,
  describeError,
  elasticReachable,
  ensureTopics,
  MessageProducer,
  MlflowRegistry,
  startConsumer,
  startOpsServer,
  timeframeMs,
  topicName,
  TOPICS,
  type Alert,
  type ElasticClient,
  type Kafka,
  type Logger,
  type OpsServer,
  type Prediction,
  type RunningConsumer,
} from '@crypto-predict/core';
import type { Registry } from 'prom-client';
import { defaultModelName, type PredictorConfig } from './config.js';
import { ModelLoader } from './adapters/model-loader.js';
import { ensurePredictionsTemplate, indexPredictions } from './adapters/prediction-index.js';
import { twoSidedZ } from './domain/normal-quantile.js';
import { createPredictorMetrics } from './metrics.js';
import { createBatchHandler } from './batch-handler.js';
import { PairPredictor, type RefusalReport } from './pair-predictor.js';

export const SERVICE = 'price-predictor';

export interface PredictorDependencies {
  log?: Logger;
  kafka?: Kafka;
  elastic?: ElasticClient;
  registry?: Registry;
  /** Wall clock for `createdAt`; tests pass their own. */
  clock?: () => number;
  /** Refresh the predictions index after each write (tests read their own writes). */
  refreshIndex?: boolean;
}

export interface PredictorApp {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The per-pair predictors, for tests and diagnostics. */
  readonly pairs: ReadonlyMap<string, PairPredictor>;
  readonly opsPort: number | null;
}

/**
 * Builds the predictor: a consumer of `features` per configured pair and timeframe, a model watcher
 * per pair, and a sink that writes each batch's predictions to Elasticsearch and the `predictions`
 * topic before the batch's offsets are committed.
 */
export function buildPredictor(config: PredictorConfig, deps: PredictorDependencies = {}): PredictorApp {
  const log = deps.log ?? createLogger(SERVICE, config.LOG_LEVEL);
  const kafka = deps.kafka ?? createKafka({ brokers: config.KAFKA_BROKERS, clientId: SERVICE });
  const ownElastic = deps.elastic === undefined;
  const elastic = deps.elastic ?? createElasticClient(config.ELASTICSEARCH_URL);
  const registry = deps.registry ?? createMetricsRegistry(SERVICE);
  const clock = deps.clock ?? Date.now;
  const metrics = createPredictorMetrics(registry);
  const mlflow = new MlflowRegistry(config.MLFLOW_TRACKING_URI);
  const loader = new ModelLoader(mlflow, config.MODEL_CACHE_DIR);
  const settings = {
    horizons: config.HORIZONS,
    naiveCoverage: config.COVERAGE,
    naiveZ: twoSidedZ(config.COVERAGE),
    naiveVolatilityFeature: config.NAIVE_VOLATILITY_FEATURE,
    candleMinutes: timeframeMs(config.TIMEFRAME) / 60_000,
  };

  let producer: MessageProducer | null = null;
  const onRefusal = async (report: RefusalReport): Promise<void> => {
    if (producer === null) return;
    const alert: Alert = {
      v: 1,
      id: `model-refused:${report.model.name}@${report.model.version}:${report.kind}`,
      kind: 'model-refused',
      severity: 'critical',
      pair: report.pair,
      message: `${report.model.name}@${report.model.version} refused (${report.kind}): ${report.problems.join('; ')}`,
      details: { model: report.model, kind: report.kind, problems: report.problems },
      time: clock(),
    };
    await producer.send(TOPICS.alerts, [alert]);
  };

  const pairs = new Map<string, PairPredictor>();
  for (const pair of config.PAIRS) {
    pairs.set(
      pair,
      new PairPredictor({
        pair,
        timeframe: config.TIMEFRAME,
        modelName: config.MODEL_NAME ?? defaultModelName(pair, config.TIMEFRAME),
        selector:
          config.MODEL_VERSION === undefined ? { alias: config.MODEL_ALIAS } : { version: config.MODEL_VERSION },
        settings,
        registry: mlflow,
        loader,
        log,
        metrics,
        onRefusal,
      }),
    );
  }

  let consumer: RunningConsumer | null = null;
  let ops: OpsServer | null = null;
  let timer: NodeJS.Timeout | null = null;
  let consuming = false;

  const publish = async (predictions: Prediction[]): Promise<void> => {
    if (predictions.length === 0 || producer === null) return;
    const result = await indexPredictions(elastic, config.TOPIC_PREFIX, predictions, {
      refresh: deps.refreshIndex ?? false,
    });
    if (result.failed.length > 0) {
      metrics.indexFailures.inc(result.failed.length);
      log.error({ count: result.failed.length, first: result.failed[0] }, 'Elasticsearch refused predictions');
    }
    await producer.send(TOPICS.predictions, predictions);
  };

  return {
    pairs,
    get opsPort() {
      return ops?.port ?? null;
    },
    async start() {
      ops = await startOpsServer({
        port: config.OPS_PORT,
        registry,
        readiness: [
          { name: 'elasticsearch', check: () => elasticReachable(elastic) },
          { name: 'kafka', check: () => consuming },
        ],
      });
      const features = topicName(config.TOPIC_PREFIX, TOPICS.features.name);
      await ensureTopics(kafka, [
        { name: features, partitions: TOPICS.features.partitions },
        { name: deadLetterTopic(features), partitions: 1 },
        { name: topicName(config.TOPIC_PREFIX, TOPICS.predictions.name), partitions: TOPICS.predictions.partitions },
        { name: topicName(config.TOPIC_PREFIX, TOPICS.alerts.name), partitions: TOPICS.alerts.partitions },
      ]);
      await ensurePredictionsTemplate(elastic, config.TOPIC_PREFIX);
      producer = await MessageProducer.connect(kafka, { prefix: config.TOPIC_PREFIX });
      // The first poll decides what serves the first rows; a failed poll leaves the ladder to naive.
      await Promise.all([...pairs.values()].map((predictor) => predictor.poll()));
      const watched = [...pairs.values()];
      if (config.MODEL_VERSION === undefined) {
        timer = setInterval(() => {
          for (const predictor of watched) void predictor.poll();
        }, config.MODEL_POLL_MS);
      } else {
        // A pinned version never changes: poll only until it is loaded.
        timer = setInterval(() => {
          for (const predictor of watched) if (predictor.top().rung === 'naive') void predictor.poll();
        }, config.MODEL_POLL_MS);
      }
      consumer = await startConsumer({
        kafka,
        topic: TOPICS.features,
        prefix: config.TOPIC_PREFIX,
        groupId: config.CONSUMER_GROUP,
        service: SERVICE,
        producer,
        log,
        handle: createBatchHandler({ timeframe: config.TIMEFRAME, pairs, publish, clock, metrics, log }),
      });
      consuming = true;
      log.info(
        { pairs: config.PAIRS, timeframe: config.TIMEFRAME, horizons: config.HORIZONS, opsPort: ops.port },
        'price-predictor started',
      );
    },
    async stop() {
      consuming = false;
      if (timer !== null) clearInterval(timer);
      await consumer?.stop().catch((error: unknown) => log.warn({ err: describeError(error) }, 'consumer stop failed'));
      for (const predictor of pairs.values()) await predictor.stop();
      await producer
        ?.disconnect()
        .catch((error: unknown) => log.warn({ err: describeError(error) }, 'producer stop failed'));
      producer = null;
      await ops?.close();
      if (ownElastic) await elastic.close().catch(() => undefined);
    },
  };
}
