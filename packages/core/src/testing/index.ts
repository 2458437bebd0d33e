import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { createElasticClient, type ElasticClient } from '../elasticsearch.js';
import { createKafka, type Kafka } from '../kafka/client.js';
import { parseMessage } from '../kafka/consumer.js';
import { topicName, type TopicSpec } from '../topics.js';
import { stackEnv, type StackEnv } from '../local-stack.js';

export { FakeMlflow } from './fake-mlflow.js';
export { MlflowAdmin } from './mlflow-admin.js';
export { seededNormal, seededRandom } from '../random.js';

/** The local stack's servers, for tests (see stackEnv). */
export type TestStack = StackEnv;
export const testStack = stackEnv;

/** A prefix unique to one test, for its topics, indices, groups and databases. */
export function uniquePrefix(label = 't'): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/** Polls `check` until it returns something other than undefined; fails with `what` after the timeout. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export function testKafka(clientId = 'test'): Kafka {
  return createKafka({ brokers: testStack().kafkaBrokers, clientId });
}

/** A client of the stack's Elasticsearch; close it after the test. */
export function testElastic(): ElasticClient {
  return createElasticClient(testStack().elasticsearchUrl);
}

/**
 * Reads a topic from the beginning with a throwaway consumer group until `done` says the messages
 * seen so far are enough, or the timeout passes. Every message must satisfy the topic's schema.
 */
export async function collectTopic<S extends z.ZodType>(
  kafka: Kafka,
  prefix: string,
  topic: TopicSpec<S>,
  done: (messages: z.output<S>[]) => boolean,
  timeoutMs = 60_000,
): Promise<z.output<S>[]> {
  const name = topicName(prefix, topic.name);
  const consumer = kafka.consumer({ kafkaJS: { groupId: uniquePrefix('collector'), fromBeginning: true } });
  const messages: z.output<S>[] = [];
  const invalid: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [name] });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const parsed = parseMessage(topic.schema, message.value?.toString('utf8') ?? null);
        if (parsed.ok) messages.push(parsed.value);
        else invalid.push(parsed.reason);
        await Promise.resolve();
      },
    });
    await eventually(
      `enough messages on ${name} (have ${messages.length})`,
      () => (done(messages) ? true : undefined),
      timeoutMs,
    );
  } finally {
    await consumer.disconnect();
  }
  if (invalid.length > 0) throw new Error(`${invalid.length} invalid messages on ${name}: ${invalid[0] ?? ''}`);
  return messages;
}
