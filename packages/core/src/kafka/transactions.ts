import kafkaPackage from '@confluentinc/kafka-javascript';
import type { KafkaJS, LibrdKafkaError, Message } from '@confluentinc/kafka-javascript';
import { AppError } from '../errors.js';
import type { Consumer, Kafka, Producer } from './client.js';

/**
 * What a failed transactional call leaves the caller to do, as librdkafka classifies it:
 * - `retriable`: call the same operation again (e.g. a commit that timed out);
 * - `abortable`: abort the transaction, rewind to the last committed state, go on;
 * - `fatal`: this producer is finished (another instance with the same transactional id fenced it,
 *   or the broker refused it); stop, a restart recovers from what was committed.
 */
export type TransactionFailure = 'retriable' | 'abortable' | 'fatal';

export interface TransactionalProducerOptions {
  /**
   * Stable across restarts of one instance and unique among the instances running at once: a
   * restarted instance then fences its predecessor and the broker aborts the transaction the
   * predecessor left open, at once instead of after `transactionTimeoutMs`.
   */
  transactionalId: string;
  lingerMs?: number;
  /** The broker aborts a transaction left open this long (by an instance that died). */
  transactionTimeoutMs?: number;
  /** The largest record this producer may send, bytes (librdkafka's default is 1,000,000). */
  maxMessageBytes?: number;
}

export interface OutgoingRecord {
  key: string | null;
  value: string;
  /** An explicit partition; otherwise the key's hash picks it (as for every topic of the system). */
  partition?: number;
}

/** The position to resume a partition from: the offset of the next record to read. */
export interface ConsumedPosition {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * A transactional producer: records sent between `begin()` and `commit()`, and the consumer
 * offsets handed to `sendOffsets()`, become visible to `read_committed` readers all at once or
 * not at all. Every failure is an AppError whose `details.transaction` is a TransactionFailure
 * (`retryable` is true only for `retriable`).
 */
export class TransactionalProducer {
  private pendingSends: Promise<unknown>[] = [];

  private constructor(
    private readonly producer: Producer,
    readonly transactionalId: string,
  ) {}

  /** Connects and initialises transactions, fencing any older producer with the same id. */
  static async connect(kafka: Kafka, options: TransactionalProducerOptions): Promise<TransactionalProducer> {
    const producer = kafka.producer({
      'linger.ms': options.lingerMs ?? 5,
      'compression.type': 'lz4',
      'message.max.bytes': options.maxMessageBytes ?? 1_000_000,
      kafkaJS: {
        transactionalId: options.transactionalId,
        transactionTimeout: options.transactionTimeoutMs ?? 60_000,
        idempotent: true,
        acks: -1,
      },
    });
    try {
      await producer.connect();
    } catch (error) {
      throw transactionError(`could not start the transactional producer ${options.transactionalId}`, error);
    }
    return new TransactionalProducer(producer, options.transactionalId);
  }

  /** Whether a transaction is open. */
  get active(): boolean {
    return this.producer.isActive();
  }

  async begin(): Promise<void> {
    this.pendingSends = [];
    try {
      await this.producer.transaction();
    } catch (error) {
      throw transactionError('could not begin a transaction', error);
    }
  }

  /**
   * Queues records in the open transaction. There is no need to wait for the returned promise
   * (it resolves when the broker has the records): `commit()` waits for every record sent and
   * fails if any of them failed.
   */
  send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const sent = this.producer
      .send({ topic, messages: records.map((record) => ({ ...record })) })
      .then(() => undefined);
    // Awaited (and reported) by commit(); this only keeps an early failure from being "unhandled".
    sent.catch(() => undefined);
    this.pendingSends.push(sent);
    return sent;
  }

  /** Adds the consumer's positions to the transaction: they are committed with its records. */
  async sendOffsets(consumer: Consumer, positions: readonly ConsumedPosition[]): Promise<void> {
    if (positions.length === 0) return;
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const { topic, partition, offset } of positions) {
      const list = byTopic.get(topic) ?? [];
      list.push({ partition, offset });
      byTopic.set(topic, list);
    }
    try {
      await this.producer.sendOffsets({
        consumer,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      });
    } catch (error) {
      throw transactionError('could not add the consumed offsets to the transaction', error);
    }
  }

  /** Commits the open transaction once every record sent in it is acknowledged. */
  async commit(): Promise<void> {
    const sends = this.pendingSends;
    try {
      await Promise.all(sends);
    } catch (error) {
      throw transactionError('a record of the transaction could not be sent', error, 'abortable');
    }
    try {
      await this.producer.commit();
      this.pendingSends = [];
    } catch (error) {
      throw transactionError('could not commit the transaction', error);
    }
  }

  /** Aborts the open transaction: nothing sent in it becomes visible to read_committed readers. */
  async abort(): Promise<void> {
    this.pendingSends = [];
    try {
      await this.producer.abort();
    } catch (error) {
      throw transactionError('could not abort the transaction', error);
    }
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }
}

/** How a failed transactional call must be handled (see TransactionFailure). */
export function transactionFailure(error: unknown): TransactionFailure {
  if (error instanceof AppError) {
    const kind = error.details.transaction;
    if (kind === 'retriable' || kind === 'abortable' || kind === 'fatal') return kind;
    return error.retryable ? 'retriable' : 'fatal';
  }
  const flags = error as { fatal?: unknown; abortable?: unknown; retriable?: unknown } | null;
  if (flags?.fatal === true) return 'fatal';
  if (flags?.retriable === true) return 'retriable';
  if (flags?.abortable === true) return 'abortable';
  return 'fatal';
}

function transactionError(message: string, cause: unknown, fallback?: TransactionFailure): AppError {
  const flags = cause as { fatal?: unknown; abortable?: unknown; retriable?: unknown } | null;
  const classified = flags?.fatal === true || flags?.retriable === true || flags?.abortable === true;
  const kind = !classified && fallback !== undefined ? fallback : transactionFailure(cause);
  return new AppError('KAFKA_UNAVAILABLE', message, {
    cause,
    retryable: kind === 'retriable',
    details: { transaction: kind },
  });
}

/**
 * The consumer settings of a consume-transform-produce loop: no auto commit (offsets go into the
 * transaction with `sendOffsets`), only committed records read, from the earliest offset when the
 * group has none yet.
 */
export function transactionalConsumerConfig(options: {
  groupId: string;
  /**
   * Static group membership (KIP-345): a restarted instance with the same id takes its partitions
   * back at once, instead of waiting for the dead member's session to time out.
   */
  instanceId?: string;
  maxBatchSize?: number;
  /** librdkafka's rebalance callback, awaited before an assignment takes effect (see the client). */
  rebalance?: (
    event: { code: number },
    assignment: { topic: string; partition: number }[],
  ) => Promise<void | { topic: string; partition: number; offset?: number }[]>;
}): KafkaJS.ConsumerConstructorConfig {
  return {
    'js.consumer.max.batch.size': options.maxBatchSize ?? 10_000,
    'isolation.level': 'read_committed',
    ...(options.instanceId === undefined ? {} : { 'group.instance.id': options.instanceId }),
    ...(options.rebalance === undefined ? {} : { rebalance_cb: options.rebalance }),
    kafkaJS: { groupId: options.groupId, fromBeginning: true, autoCommit: false },
  };
}

/** librdkafka's rebalance event codes, as the rebalance callback receives them. */
export const REBALANCE = {
  assign: kafkaPackage.CODES.ERRORS.ERR__ASSIGN_PARTITIONS,
  revoke: kafkaPackage.CODES.ERRORS.ERR__REVOKE_PARTITIONS,
} as const;

export interface CommittedRecord {
  offset: string;
  key: string | null;
  value: string | null;
}

export interface PartitionTail {
  /** The committed records from `startOffset` to the end, in offset order. */
  records: CommittedRecord[];
  startOffset: number;
  /** The partition's first offset: `startOffset > lowOffset` means older records were not read. */
  lowOffset: number;
  highOffset: number;
}

/**
 * Reads the last committed records of one partition (read_committed, so aborted transactions and
 * transactions still open are skipped): from `max(low, high - count)` up to the end. Used to
 * restore state written beside the offsets in the same transactions (a changelog).
 */
export async function readPartitionTail(options: {
  brokers: string;
  topic: string;
  partition: number;
  /** How many offsets back from the end to start (control records take offsets too). */
  count: number;
  timeoutMs?: number;
}): Promise<PartitionTail> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const consumer = new kafkaPackage.KafkaConsumer(
    {
      'bootstrap.servers': options.brokers,
      // Never joins the group: it only assigns partitions by hand and commits nothing.
      'group.id': `tail-reader-${process.pid}`,
      'enable.auto.commit': false,
      'enable.partition.eof': true,
      'isolation.level': 'read_committed',
      'fetch.wait.max.ms': 50,
      log_level: 3,
    },
    {},
  );
  const fail = (what: string, cause: unknown): AppError =>
    new AppError('KAFKA_UNAVAILABLE', `${what} ${options.topic}[${options.partition}]`, { cause });
  try {
    await new Promise<void>((resolve, reject) =>
      consumer.connect({ timeout: timeoutMs }, (error) =>
        error ? reject(fail('could not connect to read', error)) : resolve(),
      ),
    );
    const { lowOffset, highOffset } = await new Promise<{ lowOffset: number; highOffset: number }>(
      (resolve, reject) => {
        consumer.queryWatermarkOffsets(options.topic, options.partition, timeoutMs, (error, offsets) =>
          error ? reject(fail('could not read the offsets of', error)) : resolve(offsets),
        );
      },
    );
    if (highOffset <= lowOffset) return { records: [], startOffset: lowOffset, lowOffset, highOffset };
    const start = Math.max(lowOffset, highOffset - options.count);
    let eof = false;
    consumer.on('partition.eof', (event) => {
      if (event.topic === options.topic && event.partition === options.partition) eof = true;
    });
    consumer.assign([{ topic: options.topic, partition: options.partition, offset: start }]);
    const records: CommittedRecord[] = [];
    const deadline = Date.now() + timeoutMs;
    while (!eof) {
      if (Date.now() > deadline)
        throw fail('timed out reading', new Error(`no end of partition after ${timeoutMs} ms`));
      const batch = await new Promise<Message[]>((resolve, reject) =>
        consumer.consume(500, (error: LibrdKafkaError, messages: Message[]) =>
          error ? reject(fail('could not read', error)) : resolve(messages),
        ),
      );
      for (const message of batch) {
        records.push({
          offset: String(message.offset),
          key: message.key === undefined || message.key === null ? null : message.key.toString(),
          value: message.value === null ? null : message.value.toString('utf8'),
        });
      }
    }
    return { records, startOffset: start, lowOffset, highOffset };
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve())).catch(() => undefined);
  }
}
