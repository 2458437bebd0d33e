// The ceiling of the `ohlc` benchmark, run as its own process: consume a topic with our Kafka client
// (@confluentinc/kafka-javascript, KafkaJS-style eachBatch) and the consumer settings trade-to-ohlc
// uses (read_committed, batches of up to 10,000), touching each value and discarding it. Prints one
// JSON line: { messages, bytes, done_at } with done_at the wall time (epoch ms) of the last message;
// the benchmark times it from the moment the group assigned the partitions, as for the others.
// Usage: node --import tsx bench/ohlc/raw-consume.ts BROKERS TOPIC MESSAGES GROUP
import { createKafka, transactionalConsumerConfig } from '@crypto-predict/core';

const [brokers, topic, expectedText, groupId] = process.argv.slice(2);
const expected = Number(expectedText);
if (
  brokers === undefined ||
  topic === undefined ||
  groupId === undefined ||
  !Number.isInteger(expected) ||
  expected <= 0
) {
  console.error('usage: raw-consume.ts BROKERS TOPIC MESSAGES GROUP');
  process.exit(2);
}

const kafka = createKafka({ brokers, clientId: 'ohlc-bench-raw' });
const consumer = kafka.consumer(transactionalConsumerConfig({ groupId, maxBatchSize: 10_000 }));
await consumer.connect();
await consumer.subscribe({ topics: [topic] });
let seen = 0;
let bytes = 0;
const doneAt = new Promise<number>((resolve) => {
  void consumer.run({
    eachBatch: ({ batch }) => {
      for (const message of batch.messages) bytes += message.value?.length ?? 0;
      seen += batch.messages.length;
      if (seen >= expected) resolve(Date.now());
      return Promise.resolve();
    },
  });
});
const done = await doneAt;
await consumer.disconnect();
console.log(JSON.stringify({ messages: seen, bytes, done_at: done }));
