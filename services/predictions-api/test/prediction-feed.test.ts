import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  createKafka,
  createLogger,
  deadLetterTopic,
  deleteTopics,
  ensureTopics,
  MessageProducer,
  topicName,
  TOPICS,
  type Prediction,
} from '@crypto-predict/core';
import { eventually, testStack, uniquePrefix } from '@crypto-predict/core/testing';
import { KafkaPredictionFeed } from '../src/adapters/prediction-feed.js';
import { samplePrediction } from '../src/test-support/fakes.js';

describe('the predictions feed against the stack’s Kafka', { timeout: 120_000 }, () => {
  const stack = testStack();
  const prefix = uniquePrefix('feed');
  const kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: prefix });
  const topic = topicName(prefix, TOPICS.predictions.name);
  const feed = new KafkaPredictionFeed(kafka, prefix, createLogger('test', 'silent'));

  after(async () => {
    await feed.stop();
    await deleteTopics(kafka, [topic, deadLetterTopic(topic)]);
  });

  it('receives predictions when it starts before the predictor has created the topic', async () => {
    // The API may start first in a deployment: subscribing to a topic that does not exist yet
    // would leave the consumer waiting for a metadata refresh (minutes), with an empty cache.
    const received: Prediction[] = [];
    await feed.start((prediction) => received.push(prediction));
    // What the predictor does when it starts: create its topics (no-op when they exist), publish.
    await ensureTopics(kafka, [{ name: topic, partitions: TOPICS.predictions.partitions }]);
    const producer = await MessageProducer.connect(kafka, { prefix });
    try {
      const sent = samplePrediction(1);
      // The feed reads from the end once its partitions are assigned: publish until one arrives.
      const got = await eventually(
        'the feed to deliver a published prediction',
        async () => {
          await producer.send(TOPICS.predictions, [sent]);
          return received.find((p) => p.id === sent.id);
        },
        60_000,
      );
      assert.deepEqual(got, sent, 'the prediction arrives as it was published');
    } finally {
      await producer.disconnect();
    }
  });

  it('reads in a group of its own under the prefix, deleted when it stops', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ours = async (): Promise<string[]> =>
        (await admin.listGroups()).groups
          .map((group) => group.groupId)
          .filter((id) => id.startsWith(`${prefix}.predictions-api-`));
      assert.equal((await ours()).length, 1, 'one group, named under the prefix');
      await feed.stop();
      assert.deepEqual(await ours(), [], 'the group is gone once the feed stops');
    } finally {
      await admin.disconnect();
    }
  });
});
