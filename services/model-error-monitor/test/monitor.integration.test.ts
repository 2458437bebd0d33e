import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createLogger,
  createMetricsRegistry,
  deleteIndices,
  deleteTopics,
  groupName,
  MessageProducer,
  PredictionError,
  topicName,
  TOPICS,
  type Candle,
  type ElasticClient,
  type Kafka,
  type Prediction,
} from '@crypto-predict/core';
import {
  collectTopic,
  eventually,
  testElastic,
  testKafka,
  testStack,
  uniquePrefix,
} from '@crypto-predict/core/testing';
import type { Registry } from 'prom-client';
import {
  fromErrorDocument,
  windowMetricsAggregations,
  windowMetricsFromAggregations,
} from '../src/adapters/error-index-mapping.js';
import { buildMonitor, type MonitorApp } from '../src/app.js';
import { loadMonitorConfig } from '../src/config.js';
import { computeWindowMetrics, sampleFromRecord } from '../src/domain/rolling-metrics.js';
import { candle, MINUTE, prediction, T0 } from '../src/testing/fixtures.js';

const TIMEOUT_MS = 90_000;

interface Run {
  prefix: string;
  kafka: Kafka;
  elastic: ElasticClient;
  producer: MessageProducer;
  errorIndex: string;
  pendingIndex: string;
}

function config(prefix: string) {
  const stack = testStack();
  return loadMonitorConfig({
    KAFKA_BROKERS: stack.kafkaBrokers,
    ELASTICSEARCH_URL: stack.elasticsearchUrl,
    TOPIC_PREFIX: prefix,
    OPS_PORT: '0',
    PAIRS: 'BTC/USDT',
    CONSUMER_GROUP: `${prefix}-monitor`,
    FEATURE_DRIFT: 'false',
    ACTUAL_GRACE_MS: String(5 * MINUTE),
    LOG_LEVEL: 'warn',
  });
}

function startApp(run: Run, registry: Registry): MonitorApp {
  return buildMonitor(config(run.prefix), {
    log: createLogger('model-error-monitor-test', 'warn'),
    kafka: run.kafka,
    elastic: run.elastic,
    registry,
    refreshIndex: true,
    contracts: { aliasContract: () => Promise.resolve(null) },
  });
}

/** Core's `eventually` with this suite's longer timeout (a monitor start-up takes a while). */
function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  return eventually(what, probe, TIMEOUT_MS);
}

async function documents(elastic: ElasticClient, index: string): Promise<Map<string, Record<string, unknown>>> {
  await elastic.indices.refresh({ index });
  const response = await elastic.search<Record<string, unknown>>({ index, size: 1_000, query: { match_all: {} } });
  return new Map(response.hits.hits.map((hit) => [String(hit._id), hit._source ?? {}]));
}

async function counter(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value));
  return match?.value ?? 0;
}

async function setUp(): Promise<Run> {
  const prefix = uniquePrefix();
  const kafka = testKafka(`${prefix}-test`);
  const elastic = testElastic();
  const producer = await MessageProducer.connect(kafka, { prefix, lingerMs: 0 });
  return {
    prefix,
    kafka,
    elastic,
    producer,
    errorIndex: `${prefix}-prediction-errors`,
    pendingIndex: `${prefix}-model-error-monitor-pending`,
  };
}

async function tearDown(run: Run): Promise<void> {
  await run.producer.disconnect().catch(() => undefined);
  const topics = ['predictions', 'candles', 'features', 'prediction-errors', 'alerts', 'retrain-requests'].map((t) =>
    topicName(run.prefix, t),
  );
  await deleteTopics(run.kafka, [...topics, ...topics.map((t) => `${t}.dlq`)]).catch(() => undefined);
  await deleteIndices(run.elastic, `${run.prefix}-*`);
  await run.elastic.close();
}

/** 1m candles closing at T0+1m … T0+20m, all at 100 except where told; none where the close is null. */
function candles(closes: Record<number, number | null>): Candle[] {
  const out: Candle[] = [];
  for (let minute = 1; minute <= 20; minute += 1) {
    const close = closes[minute] ?? (minute in closes ? null : 100);
    if (close === null) continue;
    out.push(candle(T0 + minute * MINUTE, close));
  }
  return out;
}

describe('model-error-monitor against Kafka and Elasticsearch', { timeout: 240_000 }, () => {
  describe('scoring', () => {
    let run: Run;
    let app: MonitorApp;
    const registry = createMetricsRegistry('model-error-monitor');
    // A: 1m ahead from T0+5m, targets T0+6m (close 100). B: 5m ahead from T0+5m, targets T0+10m
    // (close 128; a 5m candle there closes at 50 and must be ignored). C: targets T0+13m, which has no
    // candle while later ones come. D: targets T0+25m, beyond the last candle: stays pending.
    const a = prediction({
      horizon: 1,
      featureTime: T0 + 5 * MINUTE,
      lastClose: 90,
      predictedPrice: 125,
      lower: 96,
      upper: 106,
    });
    const b = prediction({
      horizon: 5,
      featureTime: T0 + 5 * MINUTE,
      lastClose: 100,
      predictedPrice: 99,
      lower: 95,
      upper: 105,
    });
    const c = prediction({ horizon: 1, featureTime: T0 + 12 * MINUTE });
    const d = prediction({ horizon: 15, featureTime: T0 + 10 * MINUTE });
    const predictions: Prediction[] = [a, b, c, d];

    before(async () => {
      run = await setUp();
      app = startApp(run, registry);
      await app.start();
    });
    after(async () => {
      await app.stop();
      await tearDown(run);
    });

    it('writes error records with exactly the expected arithmetic to the index and the topic', async () => {
      await run.producer.send(TOPICS.predictions, predictions);
      await run.producer.send(TOPICS.candles, [
        ...candles({ 10: 128, 13: null }),
        candle(T0 + 10 * MINUTE, 50, { timeframe: '5m' }),
      ]);

      const docs = await waitFor('three error records', async () => {
        const found = await documents(run.elastic, run.errorIndex);
        return found.size >= 3 ? found : undefined;
      });
      assert.equal(docs.size, 3, 'A, B and C are resolved; D is still pending');

      const recordA = PredictionError.parse(docs.get(a.id));
      assert.equal(recordA.status, 'scored');
      assert.equal(recordA.targetTime, T0 + 6 * MINUTE);
      assert.equal(recordA.actualPrice, 100);
      assert.equal(recordA.error, 25, '125 − 100');
      assert.equal(recordA.absError, 25);
      assert.equal(recordA.squaredError, 625);
      assert.equal(recordA.pctError, 25, '25 / 100 · 100');
      assert.equal(recordA.directionCorrect, true, 'predicted up from 90, went up');
      assert.equal(recordA.inInterval, true, '100 in [96, 106]');
      assert.equal(recordA.naiveError, -10, '90 − 100');
      assert.equal(recordA.naiveAbsError, 10);

      const recordB = PredictionError.parse(docs.get(b.id));
      assert.equal(recordB.actualPrice, 128, 'the 1m close, not the 5m candle’s');
      assert.equal(recordB.error, -29, '99 − 128');
      assert.equal(recordB.squaredError, 841);
      assert.equal(recordB.pctError, -22.65625, '−29 / 128 · 100');
      assert.equal(recordB.directionCorrect, false, 'predicted down, went up');
      assert.equal(recordB.inInterval, false, '128 above 105');
      assert.equal(recordB.naiveError, -28);
      assert.equal(docs.get(b.id)?.directionHit, 0, 'the aggregation field agrees');
      assert.equal(docs.get(a.id)?.intervalHit, 1);

      const recordC = PredictionError.parse(docs.get(c.id));
      assert.equal(recordC.status, 'actual-missing', 'no candle at T0+13m and the watermark passed T0+18m');
      assert.equal(recordC.error, null);
      assert.equal(recordC.scoredAt, T0 + 18 * MINUTE, 'given up at target + grace, in event time');
      assert.equal(recordA.scoredAt, T0 + 6 * MINUTE, 'scored at its target time, in event time');

      const pending = await documents(run.elastic, run.pendingIndex);
      assert.deepEqual([...pending.keys()], [d.id], 'only D is persisted as pending');

      // The index mapping supports the API: ES aggregations give the same metrics as the pure function.
      const aggregated = await run.elastic.search({
        index: run.errorIndex,
        size: 0,
        aggs: windowMetricsAggregations(),
      });
      const fromElastic = windowMetricsFromAggregations(aggregated.aggregations);
      const fromRecords = computeWindowMetrics(
        [...docs.values()].flatMap((doc) => {
          const stored = fromErrorDocument(doc);
          return stored === null ? [] : [sampleFromRecord(stored.record, stored.prediction.coverage)];
        }),
      );
      for (const [key, expected] of Object.entries(fromRecords)) {
        const actual = fromElastic[key as keyof typeof fromElastic];
        if (typeof expected === 'number' && typeof actual === 'number') {
          assert.ok(
            Math.abs(actual - expected) < 1e-9,
            `${key}: ES aggregation ${actual} = computeWindowMetrics ${expected}`,
          );
        } else {
          assert.equal(actual, expected, `${key}: ES aggregation and computeWindowMetrics agree`);
        }
      }
      assert.equal(fromElastic.mae, 27, 'MAE over A and B = (25 + 29) / 2');

      const metrics = await (await fetch(`http://127.0.0.1:${app.opsPort}/metrics`)).text();
      assert.match(
        metrics,
        /model_error_monitor_mae\{[^}]*pair="BTC\/USDT"[^}]*horizon="1"[^}]*window="1h"[^}]*\} 25\b/,
        'the ops server exposes the rolling MAE of the 1m horizon (A: 25; C is missing)',
      );
      assert.match(metrics, /model_error_monitor_window_actual_missing\{[^}]*horizon="1"[^}]*window="1h"[^}]*\} 1\b/);

      const published = await readTopic(run, 3);
      assert.deepEqual(
        published.map((r) => r.predictionId).sort(),
        [a.id, b.id, c.id].sort(),
        'each record is published once to prediction-errors',
      );
    });

    it('does not duplicate anything when the same predictions are published again', async () => {
      const before = await documents(run.elastic, run.errorIndex);
      await run.producer.send(TOPICS.predictions, predictions);
      await waitFor('the re-published predictions to be consumed', async () =>
        (await counter(registry, 'model_error_monitor_predictions_total', { outcome: 'duplicate-prediction' })) >= 3
          ? true
          : undefined,
      );
      const afterwards = await documents(run.elastic, run.errorIndex);
      assert.equal(afterwards.size, 3, 'still three error documents');
      assert.deepEqual(afterwards, before, 'the documents are unchanged');
      const pending = await documents(run.elastic, run.pendingIndex);
      assert.equal(pending.size, 1, 'D is pending once');
      const published = await readTopic(run, 3, 3_000);
      assert.equal(published.length, 3, 'no second record on the topic');
    });
  });

  describe('crash safety', () => {
    let run: Run;
    before(async () => {
      run = await setUp();
    });
    after(async () => {
      await tearDown(run);
    });

    it('scores predictions that were pending when the monitor went down, after their offsets were committed', async () => {
      const first = createMetricsRegistry('model-error-monitor');
      const app1 = startApp(run, first);
      await app1.start();
      const waiting = [
        prediction({ horizon: 5, featureTime: T0 + 5 * MINUTE, predictedPrice: 101 }),
        prediction({ horizon: 15, featureTime: T0, predictedPrice: 97 }),
      ];
      await run.producer.send(TOPICS.predictions, waiting);
      await waitFor('both predictions pending', async () =>
        (await counter(first, 'model_error_monitor_predictions_total', { outcome: 'pending' })) >= 2 ? true : undefined,
      );
      await app1.stop();

      // The predictions consumer group committed past both: a restart will not read them again.
      const admin = run.kafka.admin();
      await admin.connect();
      try {
        const topic = topicName(run.prefix, TOPICS.predictions.name);
        const committed = await admin.fetchOffsets({
          groupId: groupName(run.prefix, `${run.prefix}-monitor.predictions`),
          topics: [topic],
        });
        const ends = await admin.fetchTopicOffsets(topic);
        const end = new Map(ends.map((p) => [p.partition, p.offset]));
        for (const partition of committed[0]?.partitions ?? []) {
          const high = end.get(partition.partition) ?? '0';
          if (high === '0') continue;
          assert.equal(partition.offset, high, `partition ${partition.partition}: offsets committed up to the end`);
        }
      } finally {
        await admin.disconnect();
      }

      const second = createMetricsRegistry('model-error-monitor');
      const app2 = startApp(run, second);
      await app2.start();
      try {
        await run.producer.send(TOPICS.candles, candles({ 10: 104, 15: 95 }));
        const docs = await waitFor('both restored predictions scored', async () => {
          const found = await documents(run.elastic, run.errorIndex);
          return found.size >= 2 ? found : undefined;
        });
        const [five, fifteen] = waiting.map((p) => PredictionError.parse(docs.get(p.id)));
        assert.ok(five !== undefined && fifteen !== undefined);
        assert.equal(five?.status, 'scored');
        assert.equal(five?.actualPrice, 104);
        assert.equal(five?.error, -3, '101 − 104');
        assert.equal(fifteen?.actualPrice, 95);
        assert.equal(fifteen?.error, 2, '97 − 95');
        const pending = await documents(run.elastic, run.pendingIndex);
        assert.equal(pending.size, 0, 'nothing is left pending');
      } finally {
        await app2.stop();
      }
    });
  });
});

/** Reads a topic of the run from the beginning until `count` records arrived, and then `quietMs` more. */
async function readTopic(run: Run, count: number, quietMs = 0): Promise<PredictionError[]> {
  const quietUntil = Date.now() + quietMs;
  return collectTopic(
    run.kafka,
    run.prefix,
    TOPICS.predictionErrors,
    (records) => records.length >= count && Date.now() >= quietUntil,
    TIMEOUT_MS,
  );
}
