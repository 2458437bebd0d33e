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
  topicName,
  TOPICS,
  type AliasContract,
  type DeadLetter,
  type ElasticClient,
  type Kafka,
  type Logger,
  type OpsServer,
  type Prediction,
  type Received,
  type RunningConsumer,
} from '@crypto-predict/core';
import type { Registry } from 'prom-client';
import { AlertWebhook } from './adapters/alert-webhook.js';
import { createMonitorMetrics, registerDomainGauges } from './adapters/monitor-metrics.js';
import { MonitorStore } from './adapters/monitor-store.js';
import { ScoringPipeline } from './adapters/scoring-pipeline.js';
import { modelNameFor, type MonitorConfig } from './config.js';
import { ActualJoiner } from './domain/actual-joiner.js';
import { ErrorMonitor } from './domain/error-monitor.js';
import { targetTimeOf, toScorable, type ScorablePrediction } from './domain/scorable-prediction.js';

export const SERVICE = 'model-error-monitor';

export interface MonitorDependencies {
  log?: Logger;
  kafka?: Kafka;
  elastic?: ElasticClient;
  registry?: Registry;
  /** Where champion contracts come from (core's MlflowRegistry by default). */
  contracts?: { aliasContract(modelName: string, alias: string): Promise<AliasContract | null> };
  /** Refresh indices after each write (tests read their own writes). */
  refreshIndex?: boolean;
}

export interface MonitorApp {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly opsPort: number | null;
  readonly monitor: ErrorMonitor;
}

/**
 * Builds the monitor: consumers of `predictions` and `candles` feeding one joiner (and of `features`
 * for feature drift), a pipeline that writes error records to Elasticsearch and then to the
 * `prediction-errors` topic before offsets are committed, alerts and retrain requests to their
 * topics (and the webhook), and an ops server with the rolling metrics.
 */
export function buildMonitor(config: MonitorConfig, deps: MonitorDependencies = {}): MonitorApp {
  const log = deps.log ?? createLogger(SERVICE, config.LOG_LEVEL);
  const kafka = deps.kafka ?? createKafka({ brokers: config.KAFKA_BROKERS, clientId: SERVICE });
  const ownElastic = deps.elastic === undefined;
  const elastic = deps.elastic ?? createElasticClient(config.ELASTICSEARCH_URL);
  const registry = deps.registry ?? createMetricsRegistry(SERVICE);
  const contracts = deps.contracts ?? new MlflowRegistry(config.MLFLOW_TRACKING_URI);
  const metrics = createMonitorMetrics(registry);
  const store = new MonitorStore(elastic, config.TOPIC_PREFIX, {
    refresh: deps.refreshIndex === true ? 'wait_for' : false,
  });

  const joiner = new ActualJoiner({
    graceMs: config.ACTUAL_GRACE_MS,
    retentionMs: config.ACTUALS_RETENTION_MS,
    maxPendingPerPair: config.MAX_PENDING_PER_PAIR,
  });
  const monitor = new ErrorMonitor({
    service: SERVICE,
    windowsMs: config.METRIC_WINDOWS,
    pageHinkley: { warmup: config.PH_WARMUP, delta: config.PH_DELTA, lambda: config.PH_LAMBDA, clip: config.PH_CLIP },
    coverage: {
      window: config.COVERAGE_WINDOW,
      minSamples: config.COVERAGE_MIN_SAMPLES,
      zThreshold: config.COVERAGE_Z,
      tolerance: config.COVERAGE_TOLERANCE,
    },
    featureDrift: {
      windowRows: config.PSI_WINDOW_ROWS,
      minRows: config.PSI_MIN_ROWS,
      evaluateEveryRows: config.PSI_EVERY_ROWS,
      warning: config.PSI_WARNING,
      critical: config.PSI_CRITICAL,
    },
    alertCooldownMs: config.ALERT_COOLDOWN_MS,
    retrain: {
      minAlarms: config.RETRAIN_MIN_ALARMS,
      lookbackMs: config.RETRAIN_LOOKBACK_MS,
      cooldownMs: config.RETRAIN_COOLDOWN_MS,
    },
  });
  registerDomainGauges(registry, monitor, joiner);

  const webhook =
    config.ALERT_WEBHOOK_URL === undefined
      ? null
      : new AlertWebhook({
          url: config.ALERT_WEBHOOK_URL,
          timeoutMs: config.ALERT_WEBHOOK_TIMEOUT_MS,
          retries: config.ALERT_WEBHOOK_RETRIES,
          log,
          onOutcome: (outcome) => metrics.webhook.inc({ outcome }),
        });

  let producer: MessageProducer | null = null;
  const requireProducer = (): MessageProducer => {
    if (producer === null) throw new Error('the producer is not connected yet');
    return producer;
  };
  const pipeline = new ScoringPipeline({
    joiner,
    monitor,
    log,
    metrics,
    pairs: config.PAIRS,
    retentionMs: config.ACTUALS_RETENTION_MS,
    historyMs: Math.max(...config.METRIC_WINDOWS),
    notify: (alerts) => webhook?.notify(alerts),
    sinks: {
      write: (batch) => store.write(batch),
      publishErrors: (records) => requireProducer().send(TOPICS.predictionErrors, records),
      publishAlerts: (alerts) => requireProducer().send(TOPICS.alerts, alerts),
      publishRetrainRequests: (requests) => requireProducer().send(TOPICS.retrainRequests, requests),
      pruneActuals: (pair, before) => store.pruneActuals(pair, before),
    },
  });

  const consumers: RunningConsumer[] = [];
  let ops: OpsServer | null = null;
  let contractTimer: NodeJS.Timeout | null = null;
  let consuming = false;
  const contractState = new Map<string, string>();

  const handlePredictions = async (messages: Received<Prediction>[]): Promise<void> => {
    const valid: ScorablePrediction[] = [];
    const letters: DeadLetter[] = [];
    for (const message of messages) {
      const prediction = message.value;
      const expected = targetTimeOf(prediction.featureTime, prediction.horizon);
      if (prediction.targetTime !== expected) {
        letters.push(
          deadLetter(message, `targetTime ${prediction.targetTime} is not featureTime + horizon·60000 = ${expected}`),
        );
      } else {
        valid.push(toScorable(prediction));
      }
    }
    await pipeline.handlePredictions(valid);
    if (letters.length > 0) {
      metrics.predictions.inc({ outcome: 'invalid' }, letters.length);
      await requireProducer().sendDeadLetters(letters);
      log.warn({ count: letters.length, reason: letters[0]?.reason }, 'predictions dead-lettered');
    }
  };

  const refreshContracts = async (): Promise<void> => {
    for (const pair of config.PAIRS ?? []) {
      const modelName = modelNameFor(config, pair);
      try {
        // Read afresh on every refresh: the alias may have moved, and a failure keeps the last reference.
        const found = await contracts.aliasContract(modelName, config.MODEL_ALIAS);
        const state = found === null ? 'none' : `${found.version.name}@${found.version.version}`;
        if (found === null) {
          monitor.setReference(pair, null);
          if (contractState.get(pair) !== state) {
            log.info(
              { pair, model: modelName, alias: config.MODEL_ALIAS },
              'feature drift is off for this pair: no champion model in MLflow',
            );
          }
        } else {
          monitor.setReference(pair, {
            modelName: found.version.name,
            modelVersion: found.version.version,
            timeframe: found.contract.timeframe,
            featureSchemaVersion: found.contract.featureSchemaVersion,
            reference: found.contract.reference,
          });
          if (contractState.get(pair) !== state) {
            log.info(
              { pair, model: state, features: Object.keys(found.contract.reference).length },
              'feature drift measured against the champion’s training reference',
            );
          }
        }
        contractState.set(pair, state);
      } catch (error) {
        log.warn(
          { pair, model: modelName, err: describeError(error) },
          'could not read the champion contract; feature drift keeps its previous reference',
        );
      }
    }
  };

  return {
    monitor,
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
      const name = (topic: string) => topicName(config.TOPIC_PREFIX, topic);
      const consumed = [TOPICS.predictions, TOPICS.candles, ...(config.FEATURE_DRIFT ? [TOPICS.features] : [])];
      await ensureTopics(kafka, [
        ...consumed.flatMap((topic) => [
          { name: name(topic.name), partitions: topic.partitions },
          { name: deadLetterTopic(name(topic.name)), partitions: 1 },
        ]),
        ...[TOPICS.predictionErrors, TOPICS.alerts, TOPICS.retrainRequests].map((topic) => ({
          name: name(topic.name),
          partitions: topic.partitions,
        })),
      ]);
      await store.ensureIndices();
      producer = await MessageProducer.connect(kafka, { prefix: config.TOPIC_PREFIX });

      const restored = await pipeline.restore(store);
      log.info(restored, 'state restored from Elasticsearch');

      if (config.FEATURE_DRIFT) {
        if (config.PAIRS === null)
          log.info('feature drift is off: it needs an explicit PAIRS list to know which champions to read');
        else {
          await refreshContracts();
          contractTimer = setInterval(() => void refreshContracts(), config.CONTRACT_REFRESH_MS);
          contractTimer.unref();
        }
      } else {
        log.info('feature drift is off (FEATURE_DRIFT=false)');
      }

      const common = { kafka, prefix: config.TOPIC_PREFIX, service: SERVICE, producer, log };
      consumers.push(
        await startConsumer({
          ...common,
          topic: TOPICS.predictions,
          groupId: `${config.CONSUMER_GROUP}.predictions`,
          handle: handlePredictions,
        }),
      );
      consumers.push(
        await startConsumer({
          ...common,
          topic: TOPICS.candles,
          groupId: `${config.CONSUMER_GROUP}.candles`,
          handle: (messages) => pipeline.handleCandles(messages.map((message) => message.value)),
        }),
      );
      if (config.FEATURE_DRIFT && config.PAIRS !== null) {
        consumers.push(
          await startConsumer({
            ...common,
            topic: TOPICS.features,
            groupId: `${config.CONSUMER_GROUP}.features`,
            handle: (messages) => pipeline.handleFeatures(messages.map((message) => message.value)),
          }),
        );
      }
      consuming = true;
      log.info(
        {
          prefix: config.TOPIC_PREFIX,
          pairs: config.PAIRS ?? '*',
          opsPort: ops.port,
          errorIndex: store.errors,
          graceMs: config.ACTUAL_GRACE_MS,
        },
        'model-error-monitor started',
      );
    },
    async stop() {
      consuming = false;
      if (contractTimer !== null) clearInterval(contractTimer);
      contractTimer = null;
      for (const consumer of consumers.splice(0)) {
        await consumer
          .stop()
          .catch((error: unknown) => log.warn({ err: describeError(error) }, 'consumer stop failed'));
      }
      await webhook?.stop();
      if (producer !== null) await producer.disconnect().catch(() => undefined);
      producer = null;
      if (ops !== null) await ops.close();
      ops = null;
      if (ownElastic) await elastic.close().catch(() => undefined);
      log.info('model-error-monitor stopped');
    },
  };
}

function deadLetter(message: Received<Prediction>, reason: string): DeadLetter {
  return {
    v: 1,
    sourceTopic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: message.key,
    value: JSON.stringify(message.value),
    reason,
    service: SERVICE,
    time: Date.now(),
  };
}
