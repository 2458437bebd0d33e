import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consumerGroupId, readConfig, stateTopicName, transactionalId } from './config.js';

describe('readConfig', () => {
  it('has defaults for everything', () => {
    const config = readConfig({});
    assert.equal(config.ROLE, 'both');
    assert.equal(config.SOURCE, 'replay-candles');
    assert.equal(config.OPS_PORT, 9101);
    assert.deepEqual(config.PAIRS, ['BTC/USDT']);
    assert.deepEqual(config.TIMEFRAMES, ['1m', '5m', '15m', '1h']);
    assert.equal(config.GRACE_MS, 2_000);
    assert.equal(config.FLUSH_ON_IDLE_MS, 0, 'idle flush is off unless asked for');
    assert.equal(config.REPLAY_FROM, Date.UTC(2024, 7, 8));
    assert.equal(config.REPLAY_SPEED, 0);
    assert.equal(config.EXIT_AFTER_REPLAY, false);
  });

  it('parses lists, dates and numbers', () => {
    const config = readConfig({
      PAIRS: 'BTC/USDT, ETH/USDT',
      TIMEFRAMES: '1m,1d',
      REPLAY_FROM: '2023-03-24T10:00:00Z',
      REPLAY_TO: '2023-03-24T12:00:00Z',
      REPLAY_SPEED: '60',
      EXIT_AFTER_REPLAY: 'true',
    });
    assert.deepEqual(config.PAIRS, ['BTC/USDT', 'ETH/USDT']);
    assert.deepEqual(config.TIMEFRAMES, ['1m', '1d']);
    assert.equal(config.REPLAY_TO - config.REPLAY_FROM, 2 * 3_600_000);
    assert.equal(config.REPLAY_SPEED, 60);
    assert.equal(config.EXIT_AFTER_REPLAY, true);
  });

  it('lists every problem at once', () => {
    assert.throws(
      () =>
        readConfig({
          ROLE: 'everything',
          PAIRS: 'btcusdt',
          REPLAY_FROM: 'yesterday',
          SOURCE: 'replay-csv',
          REPLAY_SPEED: '-1',
        }),
      (error: Error) => ['ROLE', 'PAIRS', 'REPLAY_FROM', 'REPLAY_SPEED'].every((name) => error.message.includes(name)),
      'each bad variable is named',
    );
    assert.throws(() => readConfig({ SOURCE: 'replay-csv' }), /REPLAY_FILE/, 'replay-csv needs a file');
  });

  it('names the group, and the exactly-once identities, after the prefix and the group, and checks the group names a topic', () => {
    const config = readConfig({ TOPIC_PREFIX: 'demo', CONSUMER_GROUP: 'candles-a' });
    assert.equal(consumerGroupId(config), 'demo.candles-a', 'the group joins under the prefix');
    assert.equal(consumerGroupId(readConfig({})), 'trade-to-ohlc', 'by its name alone without one');
    assert.equal(stateTopicName(config), 'demo.candles-a-state', 'the state topic belongs to the group');
    assert.equal(transactionalId(config), 'demo.candles-a-0', 'a stable transactional id by default');
    assert.equal(transactionalId({ ...config, TRANSACTIONAL_ID: 'pod-7' }), 'pod-7', 'or the one given');
    assert.equal(readConfig({}).COMMIT_INTERVAL_MS, 500);
    assert.throws(() => readConfig({ CONSUMER_GROUP: 'a group' }), /CONSUMER_GROUP/, 'a group with a space is refused');
    assert.throws(() => readConfig({ COMMIT_MAX_TRADES: '0' }), /COMMIT_MAX_TRADES/, 'commits need at least one trade');
  });
});
