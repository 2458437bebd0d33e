import kafkaPackage from '@confluentinc/kafka-javascript';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { AppError } from '../errors.js';

const { Kafka, logLevel } = kafkaPackage.KafkaJS;

export type Kafka = KafkaJS.Kafka;
export type Consumer = KafkaJS.Consumer;
export type Producer = KafkaJS.Producer;
export type Admin = KafkaJS.Admin;

export interface KafkaSettings {
  /** Comma-separated host:port list. */
  brokers: string;
  clientId: string;
}

/** One client per process; producers, consumers and admins are made from it. */
export function createKafka(settings: KafkaSettings): Kafka {
  const brokers = settings.brokers
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
  if (brokers.length === 0) throw new AppError('CONFIG_INVALID', 'KAFKA_BROKERS lists no broker');
  // librdkafka's own logs are noisy at info; warnings and errors still reach stderr.
  return new Kafka({ kafkaJS: { brokers, clientId: settings.clientId, logLevel: logLevel.WARN } });
}

export interface TopicToCreate {
  name: string;
  partitions: number;
  config?: Record<string, string>;
}

/** Creates the topics that do not exist yet; existing ones are left as they are. */
export async function ensureTopics(kafka: Kafka, topics: TopicToCreate[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic.name));
    if (missing.length === 0) return;
    await admin.createTopics({
      topics: missing.map((topic) => ({
        topic: topic.name,
        numPartitions: topic.partitions,
        replicationFactor: -1,
        configEntries: Object.entries(topic.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  } catch (error) {
    if (isTopicExistsError(error)) return;
    throw new AppError('KAFKA_UNAVAILABLE', 'could not create Kafka topics', { cause: error });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Deletes topics (tests clean up after themselves with this). Missing topics are ignored. */
export async function deleteTopics(kafka: Kafka, names: string[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const present = names.filter((name) => existing.has(name));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function isTopicExistsError(error: unknown): boolean {
  return error instanceof Error && /already exists/i.test(error.message);
}

/** What a batch handler of `consumer.run({ eachBatch })` receives. */
export type EachBatchPayload = KafkaJS.EachBatchPayload;
