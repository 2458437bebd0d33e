import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../log.js';
import { Trade } from '../schemas/index.js';
import { TOPICS } from '../topics.js';
import type { Kafka } from './client.js';
import { parseMessage, startConsumer } from './consumer.js';
import type { MessageProducer } from './producer.js';

describe('parseMessage', () => {
  const good = {
    v: 1,
    pair: 'BTC/USDT',
    exchange: 'kraken',
    tradeId: '1',
    price: 1,
    qty: 1,
    side: 'buy',
    time: 1735689600000,
    source: 'live',
  };

  it('accepts a valid message', () => {
    const parsed = parseMessage(Trade, JSON.stringify(good));
    assert.ok(parsed.ok);
  });

  it('gives a reason for text that is not JSON', () => {
    const parsed = parseMessage(Trade, '{oops');
    assert.equal(parsed.ok, false);
    if (!parsed.ok) assert.match(parsed.reason, /^not JSON/);
  });

  it('names every failing field', () => {
    const parsed = parseMessage(Trade, JSON.stringify({ ...good, price: Number.NaN, qty: -1 }));
    assert.equal(parsed.ok, false);
    if (!parsed.ok) {
      assert.match(parsed.reason, /price/);
      assert.match(parsed.reason, /qty/);
    }
  });

  it('refuses a message with no value', () => {
    assert.deepEqual(parseMessage(Trade, null), { ok: false, reason: 'message has no value' });
  });
});

describe('startConsumer', () => {
  /** The consumer settings startConsumer asks the client for, from a client that records them. */
  async function joined(prefix: string, groupId: string): Promise<{ groupId: string; topics: string[] }> {
    let settings: { kafkaJS?: { groupId?: string } } = {};
    let topics: string[] = [];
    const consumer = {
      connect: () => Promise.resolve(),
      subscribe: (subscription: { topics: string[] }) => {
        topics = subscription.topics;
        return Promise.resolve();
      },
      run: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
    };
    const kafka = {
      consumer: (config: typeof settings) => {
        settings = config;
        return consumer;
      },
    } as unknown as Kafka;
    const running = await startConsumer({
      kafka,
      topic: TOPICS.trades,
      prefix,
      groupId,
      service: 'test',
      producer: {} as MessageProducer,
      log: createLogger('test', 'silent'),
      handle: () => Promise.resolve(),
    });
    await running.stop();
    return { groupId: settings.kafkaJS?.groupId ?? '(none)', topics };
  }

  it('joins its group under the deployment prefix, as it names the topic', async () => {
    assert.deepEqual(await joined('staging', 'price-predictor'), {
      groupId: 'staging.price-predictor',
      topics: ['staging.trades'],
    });
  });

  it('joins the group by its name alone without a prefix', async () => {
    assert.deepEqual(await joined('', 'price-predictor'), { groupId: 'price-predictor', topics: ['trades'] });
  });
});
