import type { z } from 'zod';
import { AppError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DeadLetter } from '../schemas/dead-letter.js';
import { groupName, topicName, type TopicSpec } from '../topics.js';
import type { Consumer, Kafka } from './client.js';
import type { MessageProducer } from './producer.js';

export interface Received<T> {
  value: T;
  key: string | null;
  topic: string;
  partition: number;
  offset: string;
  /** The record's timestamp, ms: the producer's create time (topics keep the default CreateTime). */
  timestamp: number;
}

export interface ConsumerOptions<S extends z.ZodType> {
  kafka: Kafka;
  topic: TopicSpec<S>;
  prefix: string;
  /** The group's name: it joins as `<prefix>.<groupId>` under a prefix (groupName), as topics are named. */
  groupId: string;
  service: string;
  /** Used for dead letters. */
  producer: MessageProducer;
  log: Logger;
  /**
   * Called with the valid messages of one fetched batch, in partition order. It resolves once
   * its output is durable; only then are the offsets committed. A retryable AppError is retried
   * with backoff; any other error sends each message of the batch to the dead-letter topic.
   */
  handle: (messages: Received<z.output<S>>[]) => Promise<void>;
  fromBeginning?: boolean;
  maxBatchSize?: number;
  onDeadLetter?: (letter: DeadLetter) => void;
}

export interface RunningConsumer {
  stop(): Promise<void>;
}

const MAX_RETRY_DELAY_MS = 10_000;

/**
 * Consumes a topic of the system in a consumer group: parses every message once against the
 * topic's schema, dead-letters what fails with the reason, hands the rest to the handler, and
 * commits offsets only after the handler (and any dead letters) are durable.
 */
export async function startConsumer<S extends z.ZodType>(options: ConsumerOptions<S>): Promise<RunningConsumer> {
  const topic = topicName(options.prefix, options.topic.name);
  const groupId = groupName(options.prefix, options.groupId);
  const consumer: Consumer = options.kafka.consumer({
    'js.consumer.max.batch.size': options.maxBatchSize ?? 1000,
    kafkaJS: {
      groupId,
      fromBeginning: options.fromBeginning ?? true,
      autoCommit: true,
      autoCommitInterval: 1000,
    },
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
  } catch (error) {
    throw new AppError('KAFKA_UNAVAILABLE', `could not subscribe to ${topic}`, { cause: error });
  }

  const deadLetter = (raw: RawMessage, reason: string): DeadLetter => {
    const letter: DeadLetter = {
      v: 1,
      sourceTopic: topic,
      partition: raw.partition,
      offset: raw.offset,
      key: raw.key,
      value: raw.value,
      reason,
      service: options.service,
      time: Date.now(),
    };
    options.onDeadLetter?.(letter);
    return letter;
  };

  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      const valid: Received<z.output<S>>[] = [];
      const letters: DeadLetter[] = [];
      for (const message of batch.messages) {
        const raw: RawMessage = {
          partition: batch.partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? null,
          value: message.value?.toString('utf8') ?? null,
        };
        const parsed = parseMessage(options.topic.schema, raw.value);
        if (parsed.ok) {
          valid.push({
            value: parsed.value,
            key: raw.key,
            topic,
            partition: batch.partition,
            offset: message.offset,
            timestamp: Number(message.timestamp),
          });
        } else {
          letters.push(deadLetter(raw, parsed.reason));
        }
      }

      if (valid.length > 0) {
        const outcome = await handleWithRetry(
          () => options.handle(valid),
          options.log,
          () => payload.isRunning(),
        );
        if (outcome === 'stopped') return;
        if (outcome instanceof Error) {
          const reason = `handler failed: ${describeError(outcome)}`;
          for (const received of valid) {
            letters.push(
              deadLetter(
                {
                  partition: received.partition,
                  offset: received.offset,
                  key: received.key,
                  value: JSON.stringify(received.value),
                },
                reason,
              ),
            );
          }
        }
      }
      if (letters.length > 0) {
        await options.producer.sendDeadLetters(letters);
        options.log.warn({ topic, count: letters.length, reason: letters[0]?.reason }, 'messages dead-lettered');
      }
      payload.resolveOffset(batch.lastOffset());
    },
  });

  return {
    stop: async () => {
      await consumer.disconnect();
    },
  };
}

interface RawMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Parses a message's JSON text against a schema; the reason lists every failing field. */
export function parseMessage<S extends z.ZodType>(schema: S, text: string | null): Parsed<z.output<S>> {
  if (text === null) return { ok: false, reason: 'message has no value' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.map(
    (issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
  );
  return { ok: false, reason: `schema: ${problems.join('; ')}` };
}

/** Runs the handler; retries retryable failures with capped exponential backoff while running. */
async function handleWithRetry(
  run: () => Promise<void>,
  log: Logger,
  isRunning: () => boolean,
): Promise<'done' | 'stopped' | Error> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await run();
      return 'done';
    } catch (error) {
      const appError = AppError.from(error);
      if (!appError.retryable) return appError;
      if (!isRunning()) return 'stopped';
      const delay = Math.min(MAX_RETRY_DELAY_MS, 200 * 2 ** attempt);
      log.warn({ err: describeError(appError), attempt, delay }, 'handler failed, retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
