import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Trade } from '../schemas/index.js';
import { parseMessage } from './consumer.js';

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
