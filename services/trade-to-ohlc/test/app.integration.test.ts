import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  createKafka,
  createLogger,
  DeadLetter,
  deadLetterTopic,
  deleteTopics,
  MessageProducer,
  startConsumer,
  topicName,
  TOPICS,
  type Candle,
  type Kafka,
  type RunningConsumer,
} from '@crypto-predict/core';
import { readBinanceCandles } from '@crypto-predict/core/market-data';
import { buildApp, type App } from '../src/app.js';
import { readConfig, stateTopicName } from '../src/config.js';
import { assertCandleEqual, referenceRollup, trade } from '../src/test-support/reference-candles.js';

const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
const FROM = '2023-08-12T10:00:00Z';
const TO = '2023-08-12T12:00:00Z';

async function waitFor(what: string, condition: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('trade-to-ohlc against the real local Kafka', () => {
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  const log = createLogger('trade-to-ohlc-test', 'warn');
  const candles: Candle[] = [];
  const letters: DeadLetter[] = [];
  let kafka: Kafka;
  let app: App;
  let producer: MessageProducer;
  let candleReader: RunningConsumer;
  let letterReader: { disconnect(): Promise<void> };

  before(async () => {
    kafka = createKafka({ brokers: BROKERS, clientId: `trade-to-ohlc-test-${prefix}` });
    const config = readConfig({
      KAFKA_BROKERS: BROKERS,
      TOPIC_PREFIX: prefix,
      OPS_PORT: '0',
      CONSUMER_GROUP: `${prefix}-aggregate`,
      SOURCE: 'replay-candles',
      REPLAY_FROM: FROM,
      REPLAY_TO: TO,
      FLUSH_ON_IDLE_MS: '1500',
      LOG_LEVEL: 'warn',
    });
    app = buildApp(config, { log });
    await app.start();
    producer = await MessageProducer.connect(kafka, { prefix });
    candleReader = await startConsumer({
      kafka,
      topic: TOPICS.candles,
      prefix,
      groupId: `${prefix}-reader`,
      service: 'trade-to-ohlc-test',
      producer,
      log,
      handle: (batch) => {
        for (const message of batch) candles.push(message.value);
        return Promise.resolve();
      },
    });
    const dlq = kafka.consumer({ kafkaJS: { groupId: `${prefix}-dlq-reader`, fromBeginning: true } });
    await dlq.connect();
    await dlq.subscribe({ topics: [deadLetterTopic(topicName(prefix, TOPICS.trades.name))] });
    await dlq.run({
      eachMessage: ({ message }) => {
        letters.push(DeadLetter.parse(JSON.parse(message.value?.toString('utf8') ?? 'null')));
        return Promise.resolve();
      },
    });
    letterReader = dlq;
  });

  after(async () => {
    await app?.stop();
    await candleReader?.stop();
    await letterReader?.disconnect();
    await producer?.disconnect();
    const names = [TOPICS.trades.name, TOPICS.candles.name].map((name) => topicName(prefix, name));
    const state = stateTopicName({ TOPIC_PREFIX: prefix, CONSUMER_GROUP: `${prefix}-aggregate` });
    await deleteTopics(kafka, [...names, ...names.map(deadLetterTopic), state]);
  });

  it('turns two hours of trades expanded from real candles into exactly those candles on the candles topic', async () => {
    const reference: Candle[] = [];
    for await (const candle of readBinanceCandles({ from: Date.parse(FROM), to: Date.parse(TO) }))
      reference.push(candle);
    assert.equal(reference.length, 120, 'two hours of real candles');
    const expected = { '1m': 120, '5m': 24, '15m': 8, '1h': 2 };
    const count = (timeframe: string) => candles.filter((c) => c.timeframe === timeframe).length;
    await waitFor('every candle of the two hours', () => Object.entries(expected).every(([tf, n]) => count(tf) >= n));
    for (const [timeframe, n] of Object.entries(expected))
      assert.equal(count(timeframe), n, `${timeframe}: each window once`);

    const minutes = candles.filter((c) => c.timeframe === '1m');
    reference.forEach((want, i) => {
      const got = minutes[i];
      assert.ok(got !== undefined);
      assertCandleEqual(got, want, 1e-9, 'candles topic: ');
    });
    for (const timeframe of ['5m', '15m', '1h'] as const) {
      const got = candles.filter((c) => c.timeframe === timeframe);
      referenceRollup(reference, timeframe).forEach((want, i) => {
        const candle = got[i];
        assert.ok(candle !== undefined);
        assertCandleEqual(candle, want, 1e-9, 'candles topic: ');
      });
    }
  });

  it('dead-letters a malformed trade message with the reason and keeps going', async () => {
    const trades = topicName(prefix, TOPICS.trades.name);
    await producer.sendRaw(trades, [
      { key: 'BTC/USDT', value: '{"v":1,"pair":"BTC/USDT",' },
      { key: 'BTC/USDT', value: JSON.stringify({ ...trade(Date.parse(TO) + 1_000, -5, 1), source: 'replay-ticks' }) },
    ]);
    await waitFor('two dead letters', () => letters.length >= 2, 30_000);
    assert.match(letters[0]?.reason ?? '', /^not JSON/, 'the undecodable message says why');
    assert.match(letters[1]?.reason ?? '', /price/, 'the invalid trade names the field');
    assert.equal(letters[0]?.sourceTopic, trades, 'letters name the topic they came from');

    // The service goes on: a trade after the replay makes a new candle once the idle flush runs.
    const minute = Date.parse(TO) + 5 * 60_000;
    await producer.send(TOPICS.trades, [{ ...trade(minute + 10_000, 29_500.5, 0.25, 'sell'), source: 'replay-ticks' }]);
    await waitFor('the new minute', () => candles.some((c) => c.timeframe === '1m' && c.openTime === minute), 30_000);
    const fresh = candles.find((c) => c.timeframe === '1m' && c.openTime === minute);
    assert.equal(fresh?.close, 29_500.5, 'the new trade made its candle');
    const gap = candles.filter((c) => c.timeframe === '1m' && c.openTime >= Date.parse(TO) && c.openTime < minute);
    assert.ok(gap.length === 5 && gap.every((c) => c.empty), 'the minutes between are empty candles');

    const port = app.opsPort();
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(
      metrics,
      /trade_to_ohlc_dead_letters_total\{[^}]*cause="schema"[^}]*\} 2/,
      'both dead letters are counted',
    );
    assert.match(metrics, /trade_to_ohlc_trades_in_total\{[^}]*pair="BTC\/USDT"[^}]*\} \d+/, 'trades in are counted');
  });
});
