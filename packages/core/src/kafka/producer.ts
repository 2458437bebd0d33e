import type { z } from 'zod';
import { AppError } from '../errors.js';
import type { DeadLetter } from '../schemas/dead-letter.js';
import { deadLetterTopic, topicName, type TopicSpec } from '../topics.js';
import type { Kafka, Producer } from './client.js';

/**
 * Sends typed messages as JSON, keyed by the topic's key function. Idempotent by default, so a
 * retried send never writes a message twice.
 */
export class MessageProducer {
  private constructor(
    private readonly producer: Producer,
    readonly prefix: string,
  ) {}

  static async connect(kafka: Kafka, options: { prefix: string; lingerMs?: number }): Promise<MessageProducer> {
    const producer = kafka.producer({
      'linger.ms': options.lingerMs ?? 5,
      'compression.type': 'lz4',
      kafkaJS: { idempotent: true, acks: -1 },
    });
    try {
      await producer.connect();
    } catch (error) {
      throw new AppError('KAFKA_UNAVAILABLE', 'could not connect the Kafka producer', { cause: error });
    }
    return new MessageProducer(producer, options.prefix);
  }

  /** Sends messages to a topic of the system and resolves once the broker has them all. */
  async send<S extends z.ZodType>(topic: TopicSpec<S>, messages: readonly z.output<S>[]): Promise<void> {
    if (messages.length === 0) return;
    await this.sendRaw(
      topicName(this.prefix, topic.name),
      messages.map((message) => ({ key: topic.key(message), value: JSON.stringify(message) })),
    );
  }

  async sendRaw(topic: string, messages: { key: string | null; value: string }[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      await this.producer.send({ topic, messages });
    } catch (error) {
      throw new AppError('KAFKA_UNAVAILABLE', `could not produce to ${topic}`, { cause: error });
    }
  }

  /** Sends a dead letter to the dead-letter topic of `letter.sourceTopic`. */
  async sendDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    const byTopic = new Map<string, DeadLetter[]>();
    for (const letter of letters) {
      const list = byTopic.get(letter.sourceTopic) ?? [];
      list.push(letter);
      byTopic.set(letter.sourceTopic, list);
    }
    for (const [source, list] of byTopic) {
      await this.sendRaw(
        deadLetterTopic(source),
        list.map((letter) => ({ key: letter.key, value: JSON.stringify(letter) })),
      );
    }
  }

  async disconnect(): Promise<void> {
    await this.producer.flush({ timeout: 10_000 }).catch(() => undefined);
    await this.producer.disconnect();
  }
}
