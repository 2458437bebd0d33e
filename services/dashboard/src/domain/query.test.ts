import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseQuery, querySchemas } from './query.js';

const schemas = querySchemas(24 * 3_600_000);

describe('parseQuery', () => {
  it('reads a pair as BTC/USDT or btc-usdt, and a window as a duration', () => {
    assert.deepEqual(parseQuery(schemas.snapshot, '?pair=btc-usdt&window=15m'), {
      ok: true,
      value: { pair: 'BTC/USDT', window: 900_000 },
    });
    assert.deepEqual(parseQuery(schemas.snapshot, 'pair=BTC%2FUSDT'), { ok: true, value: { pair: 'BTC/USDT' } });
  });

  const refused: [string, string, string][] = [
    ['', 'pair', 'pair: is required'],
    ['pair=BTC', 'pair', 'pair: a pair is BASE/QUOTE'],
    ['pair=BTC/USDT&pair=ETH/USDT', 'pair', 'pair: given more than once'],
    ['pair=BTC/USDT&horizon=5', 'horizon', 'horizon: unknown parameter'],
    ['pair=BTC/USDT&window=soon', 'window', 'window: a window is a count and a unit'],
    ['pair=BTC/USDT&window=30s', 'window', 'window: a window is from 1m to the retained history'],
    ['pair=BTC/USDT&window=2d', 'window', 'window: a window is from 1m to the retained history'],
  ];
  for (const [query, parameter, message] of refused) {
    it(`refuses "${query}" naming ${parameter}`, () => {
      const parsed = parseQuery(schemas.snapshot, query);
      assert.equal(parsed.ok, false);
      if (parsed.ok) return;
      assert.equal(parsed.parameter, parameter);
      assert.ok(parsed.message.startsWith(message), `"${parsed.message}" starts with "${message}"`);
    });
  }

  it('takes no parameter where none is expected', () => {
    assert.deepEqual(parseQuery(schemas.none, 'x=1'), { ok: false, parameter: 'x', message: 'x: unknown parameter' });
  });
});
