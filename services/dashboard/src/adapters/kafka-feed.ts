import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  deadLetterTopic,
  describeError,
  ensureTopics,
  groupName,
  MessageProducer,
  startConsumer,
  topicName,
  TOPICS,
  type Kafka,
  type Logger,
  type RunningConsumer,
  type TopicSpec,
} from '@crypto-predict/core';
import type { z } from 'zod';
import type { MarketHistory, Outcome } from '../domain/market-history.js';

interface FeedContext {
  options: KafkaFeedOptions;
  producer: MessageProducer;
  groupId: (topic: string) => string;
}

interface Feed {
  topic: TopicSpec;
  start(context: FeedContext): Promise<RunningConsumer>;
}

/** A topic the page is built from, and how each of its messages enters the history. */
function feed<S extends z.ZodType>(
  topic: TopicSpec<S>,
  apply: (history: MarketHistory, message: z.output<S>) => Outcome,
): Feed {
  return {
    topic,
    start: ({ options, producer, groupId }) =>
      startConsumer({
        kafka: options.kafka,
        topic,
        prefix: options.prefix,
        groupId: groupId(topic.name),
        service: 'dashboard',
        producer,
        log: options.log,
        fromBeginning: true,
        handle: (messages) => {
          const counts = new Map<Outcome, number>();
          for (const message of messages) {
            const outcome = apply(options.history, message.value);
            counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
          }
          for (const [outcome, count] of counts) options.onOutcome?.(topic.name, outcome, count);
          return Promise.resolve();
        },
      }),
  };
}

const FEEDS: readonly Feed[] = [
  feed(TOPICS.candles, (history, candle) => history.addCandle(candle)),
  feed(TOPICS.predictions, (history, prediction) => history.addPrediction(prediction)),
  feed(TOPICS.predictionErrors, (history, record) => history.addError(record)),
  feed(TOPICS.alerts, (history, alert) => history.addAlert(alert)),
  feed(TOPICS.sentiment, (history, item) => history.addSentiment(item)),
];

export const FEED_TOPICS = FEEDS.map((feed) => feed.topic.name);

export interface KafkaFeedOptions {
  kafka: Kafka;
  prefix: string;
  groupPrefix: string;
  log: Logger;
  history: MarketHistory;
  /** Told how each message fared, per topic (for metrics). */
  onOutcome?: (topic: string, outcome: Outcome, count: number) => void;
}

/**
 * Reads the five topics the page shows from their earliest offset into the bounded history. Every
 * instance needs every message (its memory is its own), so each topic is read by a consumer group
 * of this process alone, named `<group prefix>-<host>-<pid>-<random>.<topic>`; the groups are
 * deleted on stop. A restart reads the retained topics again and rebuilds the same history, as the
 * history keeps only the span behind each pair's newest event time.
 */
export class KafkaFeed {
  private readonly consumers: RunningConsumer[] = [];
  private producer: MessageProducer | null = null;
  private readonly groupBase: string;
  private running = false;

  constructor(private readonly options: KafkaFeedOptions) {
    this.groupBase = `${options.groupPrefix}-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  }

  /** The ids the feeds' groups join as (with the deployment prefix), deleted on stop. */
  get groupIds(): string[] {
    return FEEDS.map((feed) => groupName(this.options.prefix, `${this.groupBase}.${feed.topic.name}`));
  }

  isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    const { kafka, prefix } = this.options;
    const name = (topic: string) => topicName(prefix, topic);
    // Subscribing to a topic that does not exist yet fails, and the dashboard may start first.
    await ensureTopics(
      kafka,
      FEEDS.flatMap((feed) => [
        { name: name(feed.topic.name), partitions: feed.topic.partitions },
        { name: deadLetterTopic(name(feed.topic.name)), partitions: 1 },
      ]),
    );
    this.producer = await MessageProducer.connect(kafka, { prefix });
    // Joining a group takes seconds; the five join at once.
    const context: FeedContext = {
      options: this.options,
      producer: this.producer,
      groupId: (topic) => `${this.groupBase}.${topic}`,
    };
    const started = await Promise.all(FEEDS.map((item) => item.start(context)));
    this.consumers.push(...started);
    this.running = true;
  }

  async stop(): Promise<void> {
    const { kafka, log } = this.options;
    this.running = false;
    for (const consumer of this.consumers.splice(0)) {
      await consumer.stop().catch((error: unknown) => log.warn({ err: describeError(error) }, 'consumer stop failed'));
    }
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = null;
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups(this.groupIds);
    } catch (error) {
      log.debug({ err: describeError(error), groups: this.groupIds }, 'could not delete the dashboard consumer groups');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
