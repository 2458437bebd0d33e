import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  AppError,
  createKafka,
  createLogger,
  deadLetterTopic,
  deleteTopics,
  ensureTopics,
  MessageProducer,
  topicName,
  TOPICS,
} from '@crypto-predict/core';
import { eventually, uniquePrefix } from '@crypto-predict/core/testing';
import type { TransactionSink } from '../src/adapters/exactly-once/candle-transactions.js';
import { buildApp } from '../src/app.js';
import { readConfig, stateTopicName } from '../src/config.js';
import {
  buildChaosData,
  CandleReader,
  compareCandles,
  runChaos,
  type ChaosData,
} from '../src/test-support/kill-chaos.js';

const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
/** The commits the abort test fails on purpose. */
const FAILING_COMMITS = [2, 5, 6, 9, 13, 17];

describe('exactly-once candles across kill -9 (real local Kafka, the service as a child process)', () => {
  let data: ChaosData;

  before(async () => {
    // About 100k trades expanded from the real 2024-08-08 candles, with late trades (revisions)
    // and undecodable messages mixed in.
    data = await buildChaosData({
      from: Date.parse('2024-08-08T00:00:00Z'),
      minTrades: 100_000,
      lateEvery: 7_919,
      badEvery: 24_989,
    });
  });

  it('a read_committed reader sees every candle exactly once, with the values of an uninterrupted run', async () => {
    const seed = Math.floor(Math.random() * 1_000_000);
    const report = await runChaos({
      brokers: BROKERS,
      data,
      kills: 4,
      seed,
      startupKillShare: 0.25,
      // Small transactions, so each run commits many times between kills.
      env: { COMMIT_MAX_TRADES: '4000', COMMIT_INTERVAL_MS: '100', CONSUME_BATCH_SIZE: '1000' },
      log: (message) => process.stderr.write(`[exactly-once] ${message}\n`),
    });
    const { examples, ...figures } = report;
    process.stderr.write(`[exactly-once] ${JSON.stringify(figures)}\n`);
    const context = `seed ${seed}: ${examples.join('; ')}`;
    assert.ok(data.lateTrades > 0 && data.badMessages > 0, 'the data holds late trades and bad messages');
    assert.ok(report.kills_mid_stream >= 2, `kills landed mid-stream (${report.kills_mid_stream}), ${context}`);
    assert.equal(report.lost, 0, `no candle lost, ${context}`);
    assert.equal(report.duplicated, 0, `no candle seen twice, ${context}`);
    assert.equal(report.wrong, 0, `every candle has the uninterrupted values, ${context}`);
    assert.equal(report.candles_seen, report.candles_expected, `as many candles as expected, ${context}`);
    assert.ok(
      [...data.expected.values()].some((candle) => candle.revision > 0),
      'the late trades revised candles, and those revisions came through once too',
    );
    assert.equal(report.dead_letters_seen, report.dead_letters_expected, 'each bad message dead-lettered once');
  });
});

describe('exactly-once candles across aborted transactions (in process)', () => {
  it('aborted transactions rewind to the last committed state: each candle still once, with the right values', async () => {
    const data = await buildChaosData({
      from: Date.parse('2024-08-08T06:00:00Z'),
      minTrades: 30_000,
      lateEvery: 4_999,
      badEvery: 9_973,
    });
    const prefix = uniquePrefix('eo-abort');
    const group = `${prefix}-aggregate`;
    const kafka = createKafka({ brokers: BROKERS, clientId: prefix });
    const tradesTopic = topicName(prefix, TOPICS.trades.name);
    await ensureTopics(kafka, [{ name: tradesTopic, partitions: TOPICS.trades.partitions }]);
    const producer = await MessageProducer.connect(kafka, { prefix });
    await producer.sendRaw(tradesTopic, data.messages);
    await producer.disconnect();

    let commits = 0;
    const failures: string[] = [];
    const app = buildApp(
      readConfig({
        KAFKA_BROKERS: BROKERS,
        TOPIC_PREFIX: prefix,
        CONSUMER_GROUP: group,
        ROLE: 'aggregate',
        SOURCE: 'none',
        OPS_PORT: '0',
        FLUSH_ON_IDLE_MS: '1500',
        COMMIT_MAX_TRADES: '3000',
        // Short intervals: some failures surface in a commit started by the timer, between batches.
        COMMIT_INTERVAL_MS: '30',
        CONSUME_BATCH_SIZE: '500',
        LOG_LEVEL: 'warn',
      }),
      {
        log: createLogger('exactly-once-test', 'error'),
        wrapTransactions: (sink) => ({
          ...bind(sink),
          commit: async () => {
            commits += 1;
            // Some commits fail as a broker would fail them: abortable.
            if (FAILING_COMMITS.includes(commits)) {
              failures.push(`commit ${commits}`);
              throw new AppError('KAFKA_UNAVAILABLE', 'injected', { details: { transaction: 'abortable' } });
            }
            await sink.commit();
          },
        }),
      },
    );
    const reader = new CandleReader();
    try {
      await app.start();
      await reader.start(kafka, topicName(prefix, TOPICS.candles.name), deadLetterTopic(tradesTopic), `${prefix}-r`);
      await eventually(
        'every expected candle',
        () => (reader.candles.size >= data.expected.size ? true : undefined),
        120_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const metrics = await (await fetch(`http://127.0.0.1:${app.opsPort() ?? 0}/metrics`)).text();
      const aborted = Number(
        /trade_to_ohlc_transactions_total\{[^}]*outcome="aborted"[^}]*\} (\d+)/.exec(metrics)?.[1],
      );
      // A slow broker may abort one more by itself; the output must be right all the same.
      assert.ok(
        aborted >= FAILING_COMMITS.length,
        `the injected failures aborted their transactions (aborted: ${aborted})`,
      );
    } finally {
      await app.stop();
      await reader.stop();
      const names = [TOPICS.trades.name, TOPICS.candles.name].map((name) => topicName(prefix, name));
      await deleteTopics(kafka, [
        ...names,
        ...names.map(deadLetterTopic),
        stateTopicName({ TOPIC_PREFIX: prefix, CONSUMER_GROUP: group }),
      ]);
    }
    assert.deepEqual(
      failures,
      FAILING_COMMITS.map((n) => `commit ${n}`),
      'the failures were injected',
    );
    const report = compareCandles(data.expected, reader);
    assert.deepEqual(
      { lost: report.lost, duplicated: report.duplicated, wrong: report.wrong },
      { lost: 0, duplicated: 0, wrong: 0 },
      report.examples.join('; '),
    );
    assert.equal(
      [...reader.letters.values()].reduce((a, b) => a + b, 0),
      data.badMessages,
      'dead letters once each',
    );
  });
});

/** The sink's methods bound to it, so a test can override one and keep the rest. */
function bind(sink: TransactionSink): TransactionSink {
  return {
    begin: () => sink.begin(),
    send: (topic, records) => sink.send(topic, records),
    sendOffsets: (consumer, positions) => sink.sendOffsets(consumer, positions),
    commit: () => sink.commit(),
    abort: () => sink.abort(),
  };
}
