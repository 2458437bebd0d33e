import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  createLogger,
  createMetricsRegistry,
  deadLetterTopic,
  deleteTopics,
  topicName,
  TOPICS,
} from '@crypto-predict/core';
import { sentimentAsOf, sentimentFeaturesAt, trainingFrame } from '@crypto-predict/feature-store';
import { createTestSchema } from '@crypto-predict/feature-store/testing';
import { readNewsFile } from '../src/adapters/news-file.js';
import { buildApp } from '../src/app.js';
import { loadServiceConfig } from '../src/config.js';
import { coinsOfItem, CoinDetector } from '../src/domain/coins.js';
import { replayItems } from '../src/domain/replay-plan.js';
import { classifierModelsPresent, DATA_DIR, KAFKA_BROKERS, readTopic, testKafka, uniquePrefix } from './helpers.js';

const NEWS_FILE = join(DATA_DIR, 'news/cryptopanic_2025-11-14_2025-11-17.csv.gz');
const defaults = loadServiceConfig({});
const hasClassifier = classifierModelsPresent(defaults.modelPaths);
const REPLAY_FROM = '2025-11-16T08:00:00Z';
const REPLAY_TO = '2025-11-16T11:00:00Z';

describe('replay of the recorded CryptoPanic file through Kafka', () => {
  const prefix = uniquePrefix();
  const kafka = testKafka();
  after(async () => {
    const news = topicName(prefix, TOPICS.news.name);
    await deleteTopics(kafka, [news, topicName(prefix, TOPICS.sentiment.name), deadLetterTopic(news)]);
  });

  it('scores with the default classifier when its models are present', async () => {
    assert.ok(
      hasClassifier,
      'the classifier models are missing: run services/sentiment-extractor/scripts/fetch-model.sh',
    );
    const classifierPrefix = uniquePrefix();
    const from = '2025-11-16T12:00:00Z';
    const to = '2025-11-16T13:00:00Z';
    const { items } = await readNewsFile(NEWS_FILE);
    const window = replayItems(items, { from: Date.parse(from), to: Date.parse(to) });
    const detector = new CoinDetector();
    const expectedMessages = window.reduce((sum, item) => sum + coinsOfItem(detector, item).length, 0);
    const config = loadServiceConfig({
      KAFKA_BROKERS,
      TOPIC_PREFIX: classifierPrefix,
      OPS_PORT: '0',
      LOG_LEVEL: 'warn',
      SOURCE: 'replay',
      SCORER_GROUP_ID: `${classifierPrefix}-scorer`,
      STORE: 'false',
      NEWS_FILE,
      REPLAY_FROM: from,
      REPLAY_TO: to,
    });
    assert.equal(config.SCORER, 'classifier', 'the classifier is the default scorer');
    const app = buildApp(config, { log: createLogger('test', 'warn'), registry: createMetricsRegistry('test') });
    await app.start();
    try {
      await app.sourcesDone();
      const sentiment = await readTopic(
        kafka,
        classifierPrefix,
        TOPICS.sentiment,
        (messages) => messages.length >= expectedMessages,
        60_000,
      );
      assert.equal(sentiment.invalid.length, 0, 'every message passes the Sentiment schema');
      assert.equal(sentiment.messages.length, expectedMessages, 'one Sentiment per (item, coin)');
      for (const message of sentiment.messages) {
        assert.equal(message.method, 'classifier', 'messages say the trained classifier scored them');
        assert.match(message.model, /^all-mpnet-base-v2\+all-MiniLM-L6-v2\+lexicon\+ngram-softmax-head@/);
      }
    } finally {
      await app.stop();
      const news = topicName(classifierPrefix, TOPICS.news.name);
      await deleteTopics(kafka, [news, topicName(classifierPrefix, TOPICS.sentiment.name), deadLetterTopic(news)]);
    }
  });

  it('turns every replayed item naming a coin into one lexicon Sentiment per coin, stored with its aggregates', async () => {
    // What must come out, computed from the file with the same domain code.
    const { items } = await readNewsFile(NEWS_FILE);
    const window = replayItems(items, { from: Date.parse(REPLAY_FROM), to: Date.parse(REPLAY_TO) });
    const detector = new CoinDetector();
    const expected = new Map(window.map((item) => [item.id, coinsOfItem(detector, item)]));
    const expectedMessages = [...expected.values()].reduce((sum, coins) => sum + coins.length, 0);
    assert.ok(
      window.length >= 20 && expectedMessages >= 20,
      `the window holds enough news (${window.length} items, ${expectedMessages} coin mentions)`,
    );

    const config = loadServiceConfig({
      KAFKA_BROKERS,
      TOPIC_PREFIX: prefix,
      OPS_PORT: '0',
      LOG_LEVEL: 'warn',
      SOURCE: 'replay',
      SCORER: 'lexicon',
      SCORER_GROUP_ID: `${prefix}-scorer`,
      STORE_GROUP_ID: `${prefix}-store`,
      SENTIMENT_WINDOWS: '30m,2h',
      SENTIMENT_HALF_LIFE: '20m',
      NEWS_FILE,
      REPLAY_FROM,
      REPLAY_TO,
      REPLAY_SPEED: '0',
    });
    const schema = await createTestSchema('sx_store');
    const app = buildApp(config, {
      log: createLogger('test', 'warn'),
      registry: createMetricsRegistry('test'),
      pool: schema.pool,
    });
    await app.start();
    try {
      await app.sourcesDone();
      const news = await readTopic(kafka, prefix, TOPICS.news, (messages) => messages.length >= window.length, 30_000);
      assert.equal(news.invalid.length, 0, 'every news message passes the NewsItem schema');
      assert.equal(news.messages.length, window.length, 'every item of the window is on the news topic once');

      const sentiment = await readTopic(
        kafka,
        prefix,
        TOPICS.sentiment,
        (messages) => messages.length >= expectedMessages,
        60_000,
      );
      assert.equal(sentiment.invalid.length, 0, 'every sentiment message passes the Sentiment schema');
      assert.equal(sentiment.messages.length, expectedMessages, 'one Sentiment per (item, coin)');
      const byItem = new Map<string, string[]>();
      for (const message of sentiment.messages)
        byItem.set(message.newsId, [...(byItem.get(message.newsId) ?? []), message.coin]);
      for (const [id, coins] of expected) {
        if (coins.length === 0) assert.equal(byItem.has(id), false, 'an item naming no coin produces nothing');
        else
          assert.deepEqual(
            [...(byItem.get(id) ?? [])].sort(),
            [...coins].sort(),
            `item ${id} is scored for exactly its coins`,
          );
      }
      for (const message of sentiment.messages) {
        assert.equal(message.method, 'lexicon');
        assert.equal(message.promptVersion, 'none');
        assert.equal(
          message.publishedAt,
          window.find((item) => item.id === message.newsId)?.publishedAt,
          'event time is the news publication time',
        );
      }
      const registryText = await app.metrics.scored.get();
      assert.equal(
        registryText.values.find((value) => value.labels.method === 'lexicon')?.value,
        [...expected.values()].filter((coins) => coins.length > 0).length,
        'the scored counter counts items by method',
      );

      // The store role has written every (item, coin) and the aggregates as of any instant.
      const deadline = Date.now() + 60_000;
      let stored = 0;
      while (Date.now() < deadline) {
        const count = await schema.pool.query<{ n: string }>('SELECT count(*) AS n FROM sentiment_items');
        stored = Number(count.rows[0]?.n);
        if (stored >= expectedMessages) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.equal(stored, expectedMessages, 'one stored item per (item, coin)');
      const received = await schema.pool.query<{ same: boolean }>(
        'SELECT bool_and(received_at = published_at) AS same FROM sentiment_items',
      );
      assert.equal(received.rows[0]?.same, true, 'a replay stamps receipt = publication');
      const btc = sentiment.messages.filter((message) => message.coin === 'BTC');
      assert.ok(btc.length >= 3, 'the window holds some BTC news');
      for (const at of [Date.parse(REPLAY_FROM) + 45 * 60_000, Date.parse(REPLAY_TO) - 1]) {
        const materialised = await sentimentAsOf(schema.pool, 'BTC', at);
        const direct = await sentimentFeaturesAt(schema.pool, { coin: 'BTC', at });
        const inWindow = btc.filter((message) => message.publishedAt <= at && message.publishedAt > at - 30 * 60_000);
        assert.equal(materialised.sentiment_30m_count, inWindow.length, 'the 30m count matches the messages');
        for (const [name, value] of Object.entries(direct))
          assert.ok(
            Math.abs((materialised[name] ?? Number.NaN) - value) <= 1e-12,
            `${name} materialised = direct (${materialised[name]} vs ${value})`,
          );
      }
      assert.deepEqual(
        await trainingFrame(schema.pool, { pair: 'BTC/USDT', timeframe: '1m', from: 0, to: 1, sentiment: true }),
        [],
        'the frame API reads the same store (no feature rows here)',
      );
    } finally {
      await app.stop();
      await schema.drop();
    }
  });
});
