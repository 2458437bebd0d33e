import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createKafka, parseMessage, topicName, type Kafka, type TopicSpec } from '@crypto-predict/core';
import type { z } from 'zod';

export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
export const DATA_DIR = process.env.DATA_DIR ?? new URL('../../../../shared/data', import.meta.url).pathname;

/** Whether scripts/fetch-model.sh has put the classifier's head and every encoder in models/. */
export function classifierModelsPresent(paths: {
  head: string;
  embedders: Record<string, { onnx: string; vocab: string }>;
}): boolean {
  return (
    existsSync(paths.head) &&
    Object.values(paths.embedders).every((files) => existsSync(files.onnx) && existsSync(files.vocab))
  );
}

export function uniquePrefix(): string {
  return `t-${randomUUID().slice(0, 8)}`;
}

/**
 * Reads a topic from the beginning until `done(messages)` holds or the deadline passes; every
 * message is parsed against the topic's schema (a schema failure fails the test).
 */
export async function readTopic<S extends z.ZodType>(
  kafka: Kafka,
  prefix: string,
  topic: TopicSpec<S>,
  done: (messages: z.output<S>[]) => boolean,
  timeoutMs: number,
): Promise<{ messages: z.output<S>[]; invalid: string[] }> {
  const consumer = kafka.consumer({
    kafkaJS: { groupId: `reader-${randomUUID()}`, fromBeginning: true, autoCommit: false },
  });
  const messages: z.output<S>[] = [];
  const invalid: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topicName(prefix, topic.name)] });
  let resolveDone: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  await consumer.run({
    eachMessage: ({ message }) => {
      const parsed = parseMessage(topic.schema, message.value?.toString('utf8') ?? null);
      if (parsed.ok) messages.push(parsed.value);
      else invalid.push(parsed.reason);
      if (done(messages)) resolveDone();
      return Promise.resolve();
    },
  });
  const timer = setTimeout(resolveDone, timeoutMs);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return { messages, invalid };
}

export function testKafka(): Kafka {
  return createKafka({ brokers: KAFKA_BROKERS, clientId: `test-${randomUUID().slice(0, 6)}` });
}
