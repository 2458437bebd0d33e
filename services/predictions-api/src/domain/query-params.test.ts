import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCursor } from './cursor.js';
import { HistoryQuery, LatestQuery, parseIsoTime, parseQuery, PerformanceQuery } from './query-params.js';

describe('parseQuery', () => {
  it('parses valid parameters into domain values', () => {
    const cursor = encodeCursor({ featureTime: 1735689600000, id: 'x' });
    const parsed = parseQuery(
      HistoryQuery,
      `pair=btc-usdt&horizon=15&from=2025-01-01T00:00:00Z&to=1735693200000&limit=50&order=asc&cursor=${cursor}`,
    );
    assert.deepEqual(parsed, {
      ok: true,
      value: {
        pair: 'BTC/USDT',
        horizon: 15,
        from: 1735689600000,
        to: 1735693200000,
        limit: 50,
        order: 'asc',
        cursor: { featureTime: 1735689600000, id: 'x' },
      },
    });
  });

  it('applies defaults', () => {
    const parsed = parseQuery(PerformanceQuery, 'pair=BTC%2FUSDT');
    assert.deepEqual(parsed, { ok: true, value: { pair: 'BTC/USDT', window: { text: '24h', ms: 86_400_000 } } });
  });

  const refusals: [string, string, string, RegExp][] = [
    ['latest', '', 'pair', /pair: is required/],
    ['latest', 'pair=BTCUSDT', 'pair', /BASE\/QUOTE/],
    ['latest', 'pair=BTC/USDT&horizon=five', 'horizon', /whole number of minutes/],
    ['latest', 'pair=BTC/USDT&horizon=0', 'horizon', /horizon/],
    ['latest', 'pair=BTC/USDT&horizon=99999', 'horizon', /horizon/],
    ['latest', 'pair=BTC/USDT&pair=ETH/USDT', 'pair', /given more than once/],
    ['latest', 'pair=BTC/USDT&colour=red', 'colour', /unknown parameter/],
    ['history', 'pair=BTC/USDT&from=yesterday', 'from', /epoch milliseconds, an ISO 8601/],
    ['history', 'pair=BTC/USDT&from=2025-01-01T00:00', 'from', /with its zone/],
    ['history', 'pair=BTC/USDT&from=2025-02-30', 'from', /with its zone/],
    ['latest', 'pair=%C5%BFTC/USDT', 'pair', /BASE\/QUOTE/],
    ['latest', 'pair=BTC/USDT&__proto__=x', '__proto__', /unknown parameter/],
    ['history', 'pair=BTC/USDT&to=1', 'to', /before 2000/],
    ['history', 'pair=BTC/USDT&from=1735693200000&to=1735689600000', 'from', /from must not be after to/],
    ['history', 'pair=BTC/USDT&limit=0', 'limit', /at least 1/],
    ['history', 'pair=BTC/USDT&limit=1001', 'limit', /at most 1000/],
    ['history', 'pair=BTC/USDT&limit=ten', 'limit', /whole number/],
    ['history', 'pair=BTC/USDT&cursor=garbage!', 'cursor', /not a cursor this API issued/],
    ['history', 'pair=BTC/USDT&order=up', 'order', /asc or desc/],
    ['performance', 'pair=BTC/USDT&window=forever', 'window', /count and a unit/],
    ['performance', 'pair=BTC/USDT&window=91d', 'window', /at most 90d/],
  ];
  const schemas = { latest: LatestQuery, history: HistoryQuery, performance: PerformanceQuery };
  for (const [endpoint, search, parameter, message] of refusals) {
    it(`refuses ${endpoint}?${search} naming ${parameter}`, () => {
      const parsed = parseQuery(schemas[endpoint as keyof typeof schemas], search);
      assert.equal(parsed.ok, false, 'the query must be refused');
      if (parsed.ok) return;
      assert.equal(parsed.parameter, parameter, `the refusal must name ${parameter}: ${parsed.message}`);
      assert.match(parsed.message, message);
      assert.ok(
        parsed.message.startsWith(`${parameter}:`),
        `the message must start with the parameter: ${parsed.message}`,
      );
    });
  }
});

describe('parseIsoTime', () => {
  const valid: [string, number][] = [
    ['2025-01-01', Date.UTC(2025, 0, 1)],
    ['2025-01-01T00:00:00Z', Date.UTC(2025, 0, 1)],
    ['2025-01-01T12:34Z', Date.UTC(2025, 0, 1, 12, 34)],
    ['2024-02-29T23:59:59.999Z', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
    ['2025-01-01T02:00:00+02:00', Date.UTC(2025, 0, 1)],
    ['2024-12-31T21:30:00.5-02:30', Date.UTC(2025, 0, 1, 0, 0, 0, 500)],
    ['2025-01-01T00:00:00.123456789Z', Date.UTC(2025, 0, 1, 0, 0, 0, 123)],
  ];
  for (const [text, ms] of valid) it(`reads ${text}`, () => assert.equal(parseIsoTime(text), ms));
  const invalid = [
    '2025-02-29',
    '2025-02-30T00:00:00Z',
    '2025-13-01T00:00:00Z',
    '2025-01-01T24:00:00Z',
    '2025-01-01T00:60:00Z',
    '2025-01-01T00:00:60Z',
    '2025-01-01T00:00:00',
    '2025-01-01 00:00:00Z',
    '2025-01-01T00:00:00+24:00',
    '2025-1-1',
    ' 2025-01-01',
  ];
  for (const text of invalid) it(`refuses ${JSON.stringify(text)}`, () => assert.equal(parseIsoTime(text), null));
});
