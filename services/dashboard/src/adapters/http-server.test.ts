import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { createLogger, createMetricsRegistry } from '@crypto-predict/core';
import { MarketHistory } from '../domain/market-history.js';
import type { DashboardSnapshot } from '../domain/snapshot.js';
import { alert, candle, MINUTE, predictAndScore, T0 } from '../testing/market.js';
import { createDashboardMetrics } from './dashboard-metrics.js';
import { startDashboardServer, type DashboardServer } from './http-server.js';
import { loadStaticAssets } from './static-assets.js';

const HOUR = 60 * MINUTE;

describe('dashboard HTTP server', () => {
  let server: DashboardServer;
  let base: string;
  const history = new MarketHistory({
    retentionMs: 24 * HOUR,
    timeframe: '1m',
    timeframeMs: MINUTE,
    horizons: [1, 5],
    pairs: ['BTC/USDT'],
    maxPairs: 5,
    maxAlertsPerPair: 100,
    maxSentimentPerCoin: 100,
  });

  before(async () => {
    const candles = Array.from({ length: 30 }, (_, index) => candle(T0 + (index + 1) * MINUTE, 100 + index));
    const messages = predictAndScore(candles, [1, 5]);
    for (const c of messages.candles) history.addCandle(c);
    for (const p of messages.predictions) history.addPrediction(p);
    for (const e of messages.errors) history.addError(e);
    const registry = createMetricsRegistry('dashboard-test');
    server = await startDashboardServer({
      host: '127.0.0.1',
      port: 0,
      history,
      assets: await loadStaticAssets(),
      metrics: createDashboardMetrics(registry, history),
      log: createLogger('dashboard-test', 'silent'),
      page: {
        defaultPair: 'BTC/USDT',
        timeframe: '1m',
        horizons: [1, 5],
        pollMs: 1_000,
        historyMs: 24 * HOUR,
        windowMs: HOUR,
        windowChoices: [HOUR],
      },
      snapshot: { stepMs: 5 * MINUTE, sentimentBucketMs: HOUR, maxAlerts: 10, maxSentimentItems: 10 },
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => server.close());

  it('serves the page, its script and style, and the lightweight-charts bundle from node_modules', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const html = await page.text();
    for (const asset of ['/assets/lightweight-charts.js', '/assets/dashboard.js', '/assets/dashboard.css']) {
      assert.ok(html.includes(asset), `the page loads ${asset}`);
      const response = await fetch(`${base}${asset}`);
      assert.equal(response.status, 200, asset);
    }
    const bundle = await (await fetch(`${base}/assets/lightweight-charts.js`)).text();
    assert.match(bundle, /Lightweight Charts™ v5\.2\.1/, 'the pinned version');
    assert.equal((await fetch(`${base}/assets/nope.js`)).status, 404);
  });

  it('answers a snapshot, then 304 while nothing changed, then 200 again after a change', async () => {
    const first = await fetch(`${base}/api/snapshot?pair=btc-usdt`);
    assert.equal(first.status, 200);
    const snapshot = (await first.json()) as DashboardSnapshot;
    assert.equal(snapshot.pair, 'BTC/USDT');
    assert.equal(snapshot.candles.length, 30);
    const etag = first.headers.get('etag') ?? '';
    const again = await fetch(`${base}/api/snapshot?pair=BTC/USDT`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    history.addAlert(alert({ id: 'new', time: T0 + 30 * MINUTE }));
    const changed = await fetch(`${base}/api/snapshot?pair=BTC/USDT`, { headers: { 'if-none-match': etag } });
    assert.equal(changed.status, 200);
    assert.deepEqual(
      ((await changed.json()) as DashboardSnapshot).alerts.map((a) => a.id),
      ['new'],
    );
  });

  it('compresses the snapshot for a client that accepts gzip', async () => {
    const { request } = await import('node:http');
    const body = await new Promise<Buffer>((resolve, reject) => {
      request(`${base}/api/snapshot?pair=BTC/USDT`, { headers: { 'accept-encoding': 'gzip' } }, (response) => {
        assert.equal(response.headers['content-encoding'], 'gzip');
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks)));
      })
        .on('error', reject)
        .end();
    });
    assert.equal((JSON.parse(gunzipSync(body).toString('utf8')) as DashboardSnapshot).candles.length, 30);
  });

  const bad: [string, string, string][] = [
    ['/api/snapshot', 'pair', 'pair: is required'],
    ['/api/snapshot?pair=bitcoin', 'pair', 'pair: a pair is BASE/QUOTE'],
    ['/api/snapshot?pair=BTC/USDT&window=1y', 'window', 'window: a window is a count and a unit'],
    ['/api/snapshot?pair=BTC/USDT&window=48h', 'window', 'window: a window is from 1m'],
    ['/api/snapshot?pair=BTC/USDT&pair=BTC/USDT', 'pair', 'pair: given more than once'],
    ['/api/snapshot?pair=BTC/USDT&debug=1', 'debug', 'debug: unknown parameter'],
    ['/api/pairs?all=1', 'all', 'all: unknown parameter'],
    ['/api/config?x', 'x', 'x: unknown parameter'],
  ];
  for (const [path, parameter, message] of bad) {
    it(`answers 400 to ${path} naming ${parameter}`, async () => {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 400);
      const body = (await response.json()) as { error: string; message: string; parameter?: string };
      assert.equal(body.error, 'bad_request');
      assert.equal(body.parameter, parameter);
      assert.ok(body.message.startsWith(message), `"${body.message}" starts with "${message}"`);
    });
  }

  it('answers 400 in text to a page URL with a bad parameter, 404 to a pair not shown, 405 to a POST', async () => {
    const page = await fetch(`${base}/?pair=nope`);
    assert.equal(page.status, 400);
    assert.match(await page.text(), /^400 Bad Request: pair: /);
    const missing = await fetch(`${base}/api/snapshot?pair=ETH/USDT`);
    assert.equal(missing.status, 404);
    assert.match(
      ((await missing.json()) as { message: string }).message,
      /ETH\/USDT is not shown here; pairs shown: BTC\/USDT/,
    );
    assert.equal((await fetch(`${base}/api/pairs`, { method: 'POST' })).status, 405);
  });

  it('tells the page its settings and the pairs held', async () => {
    const config = (await (await fetch(`${base}/api/config`)).json()) as { defaultPair: string; horizons: number[] };
    assert.equal(config.defaultPair, 'BTC/USDT');
    assert.deepEqual(config.horizons, [1, 5]);
    const pairs = (await (await fetch(`${base}/api/pairs`)).json()) as { pairs: { pair: string; candles: number }[] };
    assert.deepEqual(
      pairs.pairs.map((p) => [p.pair, p.candles]),
      [['BTC/USDT', 30]],
    );
  });
});
