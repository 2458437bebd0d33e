import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage, Trade } from '@crypto-predict/core';
import { seededRandom } from '@crypto-predict/core/testing';
import { TradeDecoder } from './trade-decoder.js';

const VALID = {
  v: 1,
  pair: 'BTC/USDT',
  exchange: 'binance',
  tradeId: '1723075200000-0',
  price: 55_133.76,
  qty: 3.968818007947857,
  side: 'sell',
  time: 1_723_075_200_000,
  source: 'replay-expanded',
};

// Values each field may take in a mutated message: good ones, edge cases and wrong types.
const CANDIDATES: Record<string, unknown[]> = {
  v: [1, 2, 0, '1', null, 1.0000001],
  pair: ['BTC/USDT', 'ETH/EUR', 'btc/usdt', 'BTCUSDT', 'B/USDT', 'ABCDEFGHIJKLM/USD', '', 7, null, 'BTC/USDT '],
  exchange: ['kraken', '', 3, null, 'x'],
  tradeId: ['1', '', 12, null, 'a-b'],
  price: [1, 0.000001, 0, -1, 1e308, Number.MAX_VALUE, '1', null, 5e-324, -0],
  qty: [2.5, 0, -0.1, 1e-12, '2', null, true],
  side: ['buy', 'sell', 'BUY', '', null, 1],
  time: [
    946_684_800_000,
    946_684_799_999,
    4_102_444_800_000,
    4_102_444_800_001,
    1_723_075_200_000.5,
    '1723075200000',
    null,
    1e20,
  ],
  source: ['live', 'backfill', 'replay-ticks', 'replay-expanded', 'replay', null, ''],
};

describe('TradeDecoder', () => {
  it('decodes a valid trade without the schema and returns what the schema returns', () => {
    const decoder = new TradeDecoder();
    const decoded = decoder.decode(JSON.stringify({ ...VALID, extra: 'dropped' }));
    assert.deepEqual(decoded, Trade.parse(VALID), 'unknown keys are dropped, as by the schema');
    assert.equal(decoder.schemaFallbacks, 0, 'the fast path took it');
  });

  it('agrees with the Trade schema on thousands of random messages, reasons included', () => {
    const random = seededRandom(20240808);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const decoder = new TradeDecoder();
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 5_000; i += 1) {
      const message: Record<string, unknown> = { ...VALID };
      const mutations = Math.floor(random() * 3);
      for (let m = 0; m < mutations; m += 1) {
        const field = pick(Object.keys(CANDIDATES));
        if (random() < 0.15) delete message[field];
        else message[field] = pick(CANDIDATES[field] ?? []);
      }
      if (random() < 0.1) message.extra = { nested: true };
      const text = random() < 0.02 ? JSON.stringify(message).slice(0, -3) : JSON.stringify(message);
      const expected = parseMessage(Trade, text);
      assert.deepEqual(verdict(decoder, text), expected, `same verdict as the schema for ${text}`);
      if (expected.ok) accepted += 1;
      else if (expected.reason.startsWith('schema:')) refused += 1;
    }
    assert.ok(
      accepted > 500 && refused > 500,
      `both outcomes are exercised (${accepted} accepted, ${refused} refused)`,
    );
    assert.ok(decoder.schemaFallbacks >= refused, 'every schema refusal was decided by the schema itself');
  });

  it('refuses a message with no value, or that is not an object, with the shared reasons', () => {
    const decoder = new TradeDecoder();
    assert.equal(decoder.decode(null), null);
    assert.equal(decoder.reason, 'message has no value');
    for (const text of ['[1,2]', '"x"', 'null', '{oops'])
      assert.deepEqual(verdict(decoder, text), parseMessage(Trade, text), `same verdict for ${text}`);
  });
});

/** The decoder's answer in the shape of the shared parseMessage's. */
function verdict(decoder: TradeDecoder, text: string): { ok: true; value: Trade } | { ok: false; reason: string } {
  const trade = decoder.decode(text);
  return trade === null ? { ok: false, reason: decoder.reason } : { ok: true, value: trade };
}
