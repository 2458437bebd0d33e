import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  createKafka,
  createLogger,
  deadLetterTopic,
  deleteTopics,
  MessageProducer,
  topicName,
  TOPICS,
  type Candle,
  type FeatureRow,
  type Kafka,
} from '@crypto-predict/core';
import { latestFeatures, trainingFrame } from '@crypto-predict/feature-store';
import { createTestSchema, type TestSchema } from '@crypto-predict/feature-store/testing';
import { loadFeatureSet } from '../src/adapters/feature-config-file.js';
import { buildApp, type IndicatorsApp } from '../src/app.js';
import { loadServiceConfig, type ServiceConfig } from '../src/config.js';
import { FeatureEngine } from '../src/domain/features/feature-engine.js';
import { realCandles } from '../src/testing/real-candles.js';

const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
const FROM = Date.UTC(2024, 2, 5, 12);

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('technical-indicators service (real Kafka and PostgreSQL)', () => {
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  let schema: TestSchema;
  let kafka: Kafka;
  let producer: MessageProducer;
  let config: ServiceConfig;
  let app: IndicatorsApp | undefined;
  let candles: Candle[];

  before(async () => {
    schema = await createTestSchema('ti_svc');
    kafka = createKafka({ brokers: BROKERS, clientId: `${prefix}-test` });
    config = loadServiceConfig({
      KAFKA_BROKERS: BROKERS,
      TOPIC_PREFIX: prefix,
      OPS_PORT: '0',
      DATABASE_URL: schema.databaseUrl,
      COMPUTE_GROUP: `${prefix}-compute`,
      STORE_GROUP: `${prefix}-store`,
      LOG_LEVEL: 'silent',
    });
    candles = await realCandles(FROM, 400);
  });

  after(async () => {
    await app?.stop();
    await producer?.disconnect();
    const names = [TOPICS.candles.name, TOPICS.features.name].map((name) => topicName(prefix, name));
    await deleteTopics(kafka, [...names, ...names.map(deadLetterTopic)]);
    await schema.drop();
  });

  const start = async (): Promise<IndicatorsApp> => {
    const started = buildApp(config, { pool: schema.pool, log: createLogger('test', 'silent') });
    await started.start();
    return started;
  };

  const storedRows = (count: number) =>
    waitFor(`${count} stored feature rows`, async () => {
      const rows = await trainingFrame(schema.pool, {
        pair: 'BTC/USDT',
        timeframe: '1m',
        from: FROM,
        to: FROM + 86_400_000,
      });
      return rows.length >= count ? rows : undefined;
    });

  it('turns candles into feature rows in the store, updates them on a revision, and resumes after a restart without a gap', async () => {
    // The test owns its pool: the app must not close it on stop.
    app = await start();
    producer = await MessageProducer.connect(kafka, { prefix });

    const firstPart = candles.slice(0, 250);
    await producer.send(TOPICS.candles, firstPart);
    await producer.send(TOPICS.candles, [{ ...firstPart[0], timeframe: '3m' } as Candle]);
    await producer.sendRaw(topicName(prefix, TOPICS.candles.name), [
      { key: 'BTC/USDT', value: '{"v":1,"pair":"not a pair"}' },
    ]);

    const reference = new FeatureEngine(loadFeatureSet());
    const expected: FeatureRow[] = [];
    for (const candle of firstPart) {
      const outcome = reference.apply(candle);
      if (outcome.kind === 'rows') expected.push(...outcome.rows);
    }
    assert.deepEqual(
      await storedRows(250),
      expected,
      'the stored rows are the engine rows of the candles, bit for bit',
    );

    // A revision of the last bar replaces its row in the history and the online latest row.
    const last = firstPart[249];
    assert.ok(last !== undefined);
    const revision: Candle = {
      ...last,
      close: last.close + 25,
      high: Math.max(last.high, last.close + 25),
      revision: 1,
    };
    await producer.send(TOPICS.candles, [revision]);
    const revisedOutcome = reference.apply(revision);
    assert.ok(revisedOutcome.kind === 'rows' && revisedOutcome.revised);
    const revisedRow = revisedOutcome.rows[0];
    const latest = await waitFor('the revised latest row', async () => {
      const row = await latestFeatures(schema.pool, 'BTC/USDT', '1m');
      return row?.close === revision.close ? row : undefined;
    });
    assert.deepEqual(latest, revisedRow, 'feature_latest holds the revised row');

    const opsPort = app.opsPort;
    assert.ok(opsPort !== null, 'the ops server listens');
    const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    assert.match(metrics, /ti_candles_total\{[^}]*outcome="new"[^}]*\} 250/, 'new candles are counted');
    assert.match(
      metrics,
      /ti_candles_total\{[^}]*outcome="timeframe"[^}]*\} 1/,
      'the unconfigured timeframe is counted',
    );
    assert.match(metrics, /ti_candles_total\{[^}]*outcome="revised"[^}]*\} 1/, 'the revision is counted');
    assert.equal((await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status, 200, 'ready');

    // Restart: the new instance restores its state from indicator_state and goes on seamlessly.
    await app.stop();
    app = await start();
    const secondPart = candles.slice(250);
    await producer.send(TOPICS.candles, secondPart);
    for (const candle of secondPart) {
      const outcome = reference.apply(candle);
      if (outcome.kind === 'rows') expected.push(...outcome.rows);
    }
    expected[249] = revisedRow as FeatureRow;
    assert.deepEqual(
      await storedRows(400),
      expected,
      'after the restart the rows go on exactly as an uninterrupted engine, no gap, no second warm-up',
    );

    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(deadLetterTopic(topicName(prefix, TOPICS.candles.name)));
      const dead = offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
      assert.equal(dead, 1, 'the invalid candle message went to the dead-letter topic');
    } finally {
      await admin.disconnect();
    }
  });
});
