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
  type Prediction,
  type RunningConsumer,
} from '@crypto-predict/core';

/** Live predictions as they are published. */
export interface PredictionFeed {
  start(onPrediction: (prediction: Prediction) => void): Promise<void>;
  stop(): Promise<void>;
  running(): boolean;
}

/**
 * The `predictions` topic, read from its end by a consumer group of this instance alone (every
 * instance needs every prediction for its cache). The group is deleted on stop.
 */
export class KafkaPredictionFeed implements PredictionFeed {
  private consumer: RunningConsumer | null = null;
  private producer: MessageProducer | null = null;
  /** The group's name: it joins as groupName(prefix, this), this instance's alone. */
  private readonly groupId = `predictions-api-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly kafka: Kafka,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  async start(onPrediction: (prediction: Prediction) => void): Promise<void> {
    // The API may start before the predictor creates the topic; a consumer subscribed to a topic
    // that does not exist yet would only see it at its next metadata refresh, minutes later.
    const topic = topicName(this.prefix, TOPICS.predictions.name);
    await ensureTopics(this.kafka, [
      { name: topic, partitions: TOPICS.predictions.partitions },
      { name: deadLetterTopic(topic), partitions: 1 },
    ]);
    this.producer = await MessageProducer.connect(this.kafka, { prefix: this.prefix });
    this.consumer = await startConsumer({
      kafka: this.kafka,
      topic: TOPICS.predictions,
      prefix: this.prefix,
      groupId: this.groupId,
      service: 'predictions-api',
      producer: this.producer,
      log: this.log,
      fromBeginning: false,
      handle: (messages) => {
        for (const message of messages) onPrediction(message.value);
        return Promise.resolve();
      },
    });
  }

  running(): boolean {
    return this.consumer !== null;
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    await consumer
      ?.stop()
      .catch((error: unknown) => this.log.warn({ err: describeError(error) }, 'feed consumer stop failed'));
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = null;
    const group = groupName(this.prefix, this.groupId);
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([group]);
    } catch (error) {
      this.log.debug({ err: describeError(error), group }, 'could not delete the feed consumer group');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
