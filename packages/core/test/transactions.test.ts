import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createKafka,
  deleteTopics,
  ensureTopics,
  readPartitionTail,
  REBALANCE,
  transactionalConsumerConfig,
  TransactionalProducer,
  transactionFailure,
  type Kafka,
} from '../src/index.js';
import { eventually, testStack, uniquePrefix } from '../src/testing/index.js';

const BROKERS = testStack().kafkaBrokers;

/** Every value on a topic as a reader with the given isolation level sees it. */
async function readAll(
  kafka: Kafka,
  topic: string,
  readUncommitted: boolean,
  expectAtLeast: number,
): Promise<string[]> {
  const consumer = kafka.consumer({
    kafkaJS: { groupId: uniquePrefix('reader'), fromBeginning: true, autoCommit: false, readUncommitted },
  });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic] });
    await consumer.run({
      eachMessage: ({ message }) => {
        values.push(message.value?.toString('utf8') ?? '');
        return Promise.resolve();
      },
    });
    await eventually(`${expectAtLeast} records on ${topic}`, () => (values.length >= expectAtLeast ? true : undefined));
    // Anything that should not be there would have arrived with the rest.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  } finally {
    await consumer.disconnect();
  }
  return values.sort();
}

describe('Kafka transactions (real local broker)', () => {
  const prefix = uniquePrefix('tx');
  const input = `${prefix}.input`;
  const output = `${prefix}.output`;
  let kafka: Kafka;

  before(async () => {
    kafka = createKafka({ brokers: BROKERS, clientId: prefix });
    await ensureTopics(kafka, [
      { name: input, partitions: 1 },
      { name: output, partitions: 1 },
    ]);
  });

  after(async () => {
    await deleteTopics(kafka, [input, output]);
  });

  it('shows committed records to read_committed readers and hides aborted ones', async () => {
    const producer = await TransactionalProducer.connect(kafka, { transactionalId: `${prefix}-a` });
    try {
      await producer.begin();
      void producer.send(output, [{ key: 'k', value: 'committed-1' }]);
      void producer.send(output, [{ key: 'k', value: 'committed-2' }]);
      await producer.commit();
      await producer.begin();
      // Wait until the broker has it, so the abort must hide a record that is in the log.
      await producer.send(output, [{ key: 'k', value: 'aborted' }]);
      await producer.abort();
      await producer.begin();
      void producer.send(output, [{ key: 'k', value: 'committed-3' }]);
      await producer.commit();
    } finally {
      await producer.disconnect();
    }
    assert.deepEqual(
      await readAll(kafka, output, false, 3),
      ['committed-1', 'committed-2', 'committed-3'],
      'read_committed sees exactly the committed records',
    );
    assert.ok(
      (await readAll(kafka, output, true, 4)).includes('aborted'),
      'the aborted record is in the log (a read_uncommitted reader sees it): the isolation did the hiding',
    );

    const tail = await readPartitionTail({ brokers: BROKERS, topic: output, partition: 0, count: 100 });
    assert.deepEqual(
      tail.records.map((record) => record.value),
      ['committed-1', 'committed-2', 'committed-3'],
      'the tail reader skips aborted records',
    );
    const last = await readPartitionTail({ brokers: BROKERS, topic: output, partition: 0, count: 2 });
    assert.deepEqual(
      last.records.map((record) => record.value),
      ['committed-3'],
      'reading the last two offsets (a record and its commit marker) gives the last record',
    );
  });

  it('commits consumed offsets in the same transaction as the output', async () => {
    const setup = await TransactionalProducer.connect(kafka, { transactionalId: `${prefix}-setup` });
    await setup.begin();
    void setup.send(
      input,
      Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: `in-${i}` })),
    );
    await setup.commit();
    await setup.disconnect();

    const groupId = `${prefix}-group`;
    const producer = await TransactionalProducer.connect(kafka, { transactionalId: `${prefix}-loop` });
    const assigned: number[] = [];
    const consumer = kafka.consumer(
      transactionalConsumerConfig({
        groupId,
        rebalance: (event, assignment) => {
          if (event.code === REBALANCE.assign) assigned.push(...assignment.map((tp) => tp.partition));
          return Promise.resolve();
        },
      }),
    );
    let seen = 0;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [input] });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          await producer.begin();
          void producer.send(
            output,
            batch.messages.map((m) => ({ key: 'k', value: `out-${m.value?.toString('utf8') ?? ''}` })),
          );
          await producer.sendOffsets(consumer, [
            { topic: input, partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) },
          ]);
          await producer.commit();
          seen += batch.messages.length;
        },
      });
      await eventually('the ten input records processed', () => (seen >= 10 ? true : undefined));
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
    assert.deepEqual(assigned, [0], 'the rebalance callback saw the assignment');
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId, topics: [input] });
      assert.equal(offsets[0]?.partitions[0]?.offset, '10', 'the group offset was committed by the transaction');
    } finally {
      await admin.disconnect();
    }
  });

  it('fences an older producer with the same transactional id', async () => {
    const old = await TransactionalProducer.connect(kafka, { transactionalId: `${prefix}-fenced` });
    await old.begin();
    await old.send(output, [{ key: 'k', value: 'from-the-zombie' }]);
    const fresh = await TransactionalProducer.connect(kafka, { transactionalId: `${prefix}-fenced` });
    try {
      const failure = await old.commit().then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(failure !== undefined, 'the fenced producer cannot commit');
      assert.equal(transactionFailure(failure), 'fatal', 'and the failure says it is fatal');
    } finally {
      await old.disconnect().catch(() => undefined);
      await fresh.disconnect();
    }
    const tail = await readPartitionTail({ brokers: BROKERS, topic: output, partition: 0, count: 1_000 });
    assert.ok(!tail.records.some((record) => record.value === 'from-the-zombie'), 'nothing of the zombie is visible');
  });
});
