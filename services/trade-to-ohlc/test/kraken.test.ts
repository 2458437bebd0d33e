import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError, createLogger, createMetricsRegistry, Trade } from '@crypto-predict/core';
import { KrakenRestClient } from '../src/adapters/kraken/kraken-rest.js';
import { krakenSource } from '../src/adapters/kraken/kraken-source.js';
import { krakenTradeStream, sinceNs } from '../src/adapters/kraken/kraken-ws.js';
import type { TradeSource } from '../src/adapters/replay/trade-source.js';
import { readConfig } from '../src/config.js';
import { createMetrics } from '../src/metrics.js';
import { FakeKraken } from './support/fake-kraken.js';

const log = createLogger('trade-to-ohlc-test', 'silent');
const PAIR = 'BTC/USDT';

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function drain(source: TradeSource): { trades: Trade[]; done: Promise<void> } {
  const trades: Trade[] = [];
  const done = (async () => {
    for await (const batch of source) trades.push(...batch);
  })();
  return { trades, done };
}

function ids(trades: readonly Trade[]): number[] {
  return trades.map((t) => Number(t.tradeId));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

async function metricValue(
  registry: ReturnType<typeof createMetricsRegistry>,
  name: string,
  labels = '',
): Promise<number> {
  const text = await registry.getSingleMetricAsString(name);
  const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(labels));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('Kraken WebSocket v2 trade stream, against a local server speaking Kraken’s formats', () => {
  const kraken = new FakeKraken();
  before(() => kraken.start(50));
  after(() => kraken.stop());

  it('streams the snapshot then live trades; reconnects, resubscribes, drops repeats and fills gaps from REST', async () => {
    kraken.addTrades(PAIR, 60, false);
    const registry = createMetricsRegistry('kraken-test');
    const metrics = createMetrics(registry);
    const abort = new AbortController();
    const rest = new KrakenRestClient({
      baseUrl: kraken.restUrl,
      log,
      metrics,
      minIntervalMs: 5,
      retryBaseMs: 10,
      signal: abort.signal,
    });
    const { trades, done } = drain(
      krakenTradeStream({
        url: kraken.wsUrl,
        pairs: [PAIR],
        log,
        metrics,
        signal: abort.signal,
        rest,
        staleAfterMs: 2_000,
        backoff: { initialMs: 20, maxMs: 200 },
        random: () => 0,
      }),
    );
    try {
      await waitFor('the snapshot', () => trades.length >= 50);
      assert.deepEqual(ids(trades), range(11, 60), 'the snapshot is the last 50 trades, oldest first');
      const first = trades[0];
      assert.ok(first !== undefined && Trade.safeParse(first).success, 'trades satisfy the Trade schema');
      assert.deepEqual(
        { pair: first.pair, exchange: first.exchange, source: first.source, time: first.time },
        { pair: PAIR, exchange: 'kraken', source: 'live', time: kraken.history.get(PAIR)?.[10]?.timeMs ?? 0 },
        'pair as Kraken v2 writes it, live, time from the RFC 3339 timestamp to the millisecond',
      );

      kraken.addTrades(PAIR, 5, true);
      await waitFor('live updates', () => trades.length >= 55);

      // A network failure, during which 120 trades happen: the snapshot after reconnecting only
      // covers the last 50, so 70 must come from REST (in pages of 30, after a rate limit).
      kraken.dropConnections();
      kraken.addTrades(PAIR, 120, false);
      kraken.restPageSize = 30;
      kraken.rateLimitNext = 1;
      await waitFor('the gap filled', () => trades.length >= 175);
      assert.deepEqual(ids(trades), range(11, 185), 'every trade once, in order, none missing');
      assert.ok(
        trades.slice(55, 125).every((t) => t.source === 'backfill'),
        'the gap is labelled backfill',
      );
      assert.ok(kraken.subscribes >= 2, 'the client subscribed again on the new connection');
      assert.ok(
        kraken.restCalls.some((u) => u.searchParams.get('since') !== null && u.searchParams.get('pair') === 'XBTUSDT'),
        'REST is asked with the since cursor and the REST pair name',
      );

      // Reconnecting with nothing missed: the snapshot repeats trades already delivered.
      kraken.dropConnections();
      await waitFor('a third subscription', () => kraken.subscribes >= 3);
      kraken.addTrades(PAIR, 2, true);
      await waitFor('the new trades', () => trades.length >= 177);
      assert.deepEqual(ids(trades), range(11, 187), 'repeats are dropped');

      assert.equal(await metricValue(registry, 'trade_to_ohlc_kraken_gaps_total'), 1, 'one gap counted');
      assert.equal(
        await metricValue(registry, 'trade_to_ohlc_kraken_duplicate_trades_total'),
        50,
        'the repeated snapshot is counted',
      );
      assert.equal(
        await metricValue(registry, 'trade_to_ohlc_kraken_backfilled_trades_total'),
        70,
        'the gap came from REST',
      );
      assert.ok((await metricValue(registry, 'trade_to_ohlc_kraken_reconnects_total')) >= 2, 'reconnects are counted');
      assert.equal(
        await metricValue(registry, 'trade_to_ohlc_kraken_rest_calls_total', 'rate-limited'),
        1,
        'the rate limit is counted',
      );
      assert.equal(await metricValue(registry, 'trade_to_ohlc_kraken_connected'), 1, 'connected again');
    } finally {
      abort.abort();
      await done;
    }
  });

  it('treats a connection that goes silent as dead and reconnects', async () => {
    const registry = createMetricsRegistry('kraken-test');
    const metrics = createMetrics(registry);
    const abort = new AbortController();
    const { trades, done } = drain(
      krakenTradeStream({
        url: kraken.wsUrl,
        pairs: [PAIR],
        log,
        metrics,
        signal: abort.signal,
        staleAfterMs: 300,
        backoff: { initialMs: 20, maxMs: 100 },
        random: () => 0,
      }),
    );
    try {
      await waitFor('the snapshot', () => trades.length >= 50);
      const connections = kraken.connections;
      kraken.muted = true; // the socket stays open, but nothing more comes
      await waitFor('a stale reconnect', () => kraken.connections > connections, 5_000);
      kraken.muted = false;
      assert.equal(
        await metricValue(registry, 'trade_to_ohlc_kraken_reconnects_total', 'stale'),
        1,
        'the reconnect is counted as stale',
      );
    } finally {
      abort.abort();
      await done;
    }
  });

  it('ends the stream when stopped', async () => {
    const abort = new AbortController();
    const metrics = createMetrics(createMetricsRegistry('kraken-test'));
    const { trades, done } = drain(
      krakenTradeStream({ url: kraken.wsUrl, pairs: [PAIR], log, metrics, signal: abort.signal }),
    );
    await waitFor('the snapshot', () => trades.length >= 50);
    abort.abort();
    await done;
  });
});

describe('Kraken REST /0/public/Trades backfill', () => {
  const kraken = new FakeKraken();
  before(() => kraken.start(1_000));
  after(() => kraken.stop());

  it('pages with the since cursor through 429s and rate-limit errors, without repeats', async () => {
    const history = kraken.addTrades('ETH/USDT', 95, false);
    kraken.restPageSize = 20;
    kraken.http429Next = 1;
    kraken.rateLimitNext = 1;
    const registry = createMetricsRegistry('kraken-test');
    const rest = new KrakenRestClient({
      baseUrl: kraken.restUrl,
      log,
      metrics: createMetrics(registry),
      minIntervalMs: 5,
      retryBaseMs: 10,
    });
    const trades: Trade[] = [];
    const start = history[10]?.timeMs ?? 0;
    for await (const batch of rest.backfill('ETH/USDT', sinceNs(start), { untilTradeId: 90 })) trades.push(...batch);
    assert.deepEqual(ids(trades), range(11, 89), 'from the since time up to (not including) the until id');
    assert.ok(
      trades.every((t, i) => t.time === history[10 + i]?.timeMs && t.source === 'backfill'),
      'times to the millisecond, labelled backfill',
    );
    assert.equal(
      await metricValue(registry, 'trade_to_ohlc_kraken_rest_calls_total', 'rate-limited'),
      2,
      'both rate limits counted',
    );
    const cursors = kraken.restCalls.map((u) => u.searchParams.get('since'));
    assert.equal(cursors.length, 6, 'four pages of 20, two of them asked twice after a rate limit');
    assert.equal(new Set(cursors).size, 4, 'each page asks from the previous page’s last cursor');
  });

  it('refuses to retry an error a retry cannot fix', async () => {
    const rest = new KrakenRestClient({
      baseUrl: kraken.restUrl,
      log,
      metrics: createMetrics(createMetricsRegistry('kraken-test')),
      minIntervalMs: 0,
    });
    await assert.rejects(
      rest.tradesPage('DOGE/EUR', undefined),
      (error: unknown) =>
        error instanceof AppError && error.code === 'UPSTREAM_INVALID' && /Unknown asset pair/.test(error.message),
    );
  });

  it('SOURCE=kraken backfills from KRAKEN_BACKFILL_FROM, then goes live with nothing repeated', async () => {
    const symbol = 'SOL/USDT';
    const history = kraken.addTrades(symbol, 200, false, Date.now() - 600_000);
    kraken.restPageSize = 1000;
    const abort = new AbortController();
    const config = readConfig({
      SOURCE: 'kraken',
      PAIRS: symbol,
      KRAKEN_WS_URL: kraken.wsUrl,
      KRAKEN_REST_URL: kraken.restUrl,
      KRAKEN_BACKFILL_FROM: new Date(history[99]?.timeMs ?? 0).toISOString(),
      KRAKEN_REST_MIN_INTERVAL_MS: '0',
    });
    const source = krakenSource(config, log, createMetrics(createMetricsRegistry('kraken-test')), abort.signal);
    const { trades, done } = drain(source.source);
    try {
      await waitFor('backfill', () => trades.length >= 101);
      kraken.addTrades(symbol, 3, true);
      await waitFor('live', () => trades.length >= 104);
      assert.deepEqual(
        ids(trades),
        range(100, 203),
        'backfill from the start time, then live, no repeats from the snapshot',
      );
      assert.deepEqual(source.details(), { backfilled: 101, live: 3 }, 'counted by origin');
    } finally {
      abort.abort();
      await done;
    }
  });
});
