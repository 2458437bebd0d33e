import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  createLogger,
  deadLetterTopic,
  DeadLetter,
  deleteTopics,
  ensureTopics,
  MessageProducer,
  topicName,
  TOPICS,
  type Candle,
  type Kafka,
  type TopicSpec,
} from '@crypto-predict/core';
import { readBinanceCandles } from '@crypto-predict/core/market-data';
import { collectTopic, eventually, testKafka, testStack, uniquePrefix } from '@crypto-predict/core/testing';
import { computeWindowMetrics, sampleFromRecord } from '@crypto-predict/model-error-monitor/metrics';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildDashboard, type DashboardApp } from '../src/app.js';
import { loadDashboardConfig } from '../src/config.js';
import type { DashboardSnapshot } from '../src/domain/snapshot.js';
import { alert, predictAndScore, sentiment } from '../src/testing/market.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Where the screenshot goes (git-ignored, like all of .data/). */
export const SCREENSHOT = join(REPO_ROOT, '.data', 'screenshots', 'dashboard.png');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HORIZONS = [1, 5, 15, 60];
const MINUTE = 60_000;
/** Four hours of real Binance BTC/USDT 1-minute candles. */
const FROM = Date.UTC(2025, 0, 2, 0, 0);
const TO = Date.UTC(2025, 0, 2, 4, 0);

const usd = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

describe('dashboard in headless Chromium, fed through Kafka', { timeout: 120_000 }, () => {
  const prefix = uniquePrefix('dashboard');
  let kafka: Kafka;
  let producer: MessageProducer;
  let app: DashboardApp;
  let browser: Browser | null = null;
  let page: Page;
  const pageErrors: string[] = [];

  const candles: Candle[] = [];
  let nextCandle: Candle;
  const messages = {
    predictions: [] as ReturnType<typeof predictAndScore>['predictions'],
    errors: [] as ReturnType<typeof predictAndScore>['errors'],
  };
  const alerts = [
    alert({ id: `error-drift:BTC/USDT:5:${FROM + 90 * MINUTE}`, time: FROM + 90 * MINUTE, severity: 'warning' }),
    alert({
      id: `coverage-drift:BTC/USDT:15:${FROM + 150 * MINUTE}`,
      kind: 'coverage-drift',
      severity: 'critical',
      message: 'coverage 62% is below nominal 90% for BTC/USDT at 15m',
      details: { horizon: 15 },
      time: FROM + 150 * MINUTE,
    }),
    alert({
      id: 'global-alert',
      kind: 'model-refused',
      pair: null,
      message: 'no usable model',
      details: {},
      time: FROM + 200 * MINUTE,
    }),
    alert({ id: 'other-pair', pair: 'ETH/USDT', message: 'not for this page', time: FROM + 100 * MINUTE }),
  ];
  const news = [
    sentiment({
      newsId: 'n-bull',
      score: 0.6,
      publishedAt: FROM + 20 * MINUTE,
      scoredAt: FROM + 21 * MINUTE,
      reason: 'ETF inflows',
    }),
    sentiment({
      newsId: 'n-bear',
      score: -0.45,
      publishedAt: FROM + 80 * MINUTE,
      scoredAt: FROM + 81 * MINUTE,
      reason: 'exchange outage',
    }),
    sentiment({
      newsId: 'n-flat',
      score: 0.05,
      publishedAt: FROM + 190 * MINUTE,
      scoredAt: FROM + 191 * MINUTE,
      reason: 'mixed',
    }),
    sentiment({ newsId: 'n-eth', coin: 'ETH', score: -0.9, publishedAt: FROM + 30 * MINUTE }),
  ];

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `Chromium is not at ${CHROMIUM}: run scripts/setup.d/50-chromium.sh (or set CHROMIUM_PATH)`,
    );
    for await (const candle of readBinanceCandles({ from: FROM, to: TO + MINUTE })) candles.push(candle);
    const last = candles.pop();
    assert.ok(last !== undefined && candles.length === 240, `four hours of real candles (${candles.length})`);
    nextCandle = last;
    const scored = predictAndScore(candles, HORIZONS);
    messages.predictions = scored.predictions;
    messages.errors = scored.errors;

    kafka = testKafka('dashboard-test');
    const topics = [TOPICS.candles, TOPICS.predictions, TOPICS.predictionErrors, TOPICS.alerts, TOPICS.sentiment];
    await ensureTopics(
      kafka,
      topics.map((topic) => ({ name: topicName(prefix, topic.name), partitions: topic.partitions })),
    );
    producer = await MessageProducer.connect(kafka, { prefix });
    // Everything is on the topics before the dashboard starts: it must read them from the start.
    await producer.send(TOPICS.candles, candles);
    await producer.sendRaw(topicName(prefix, 'candles'), [{ key: 'BTC/USDT', value: '{"v":1,"pair":"BTC/USDT"}' }]);
    await producer.send(TOPICS.predictions, messages.predictions);
    await producer.send(TOPICS.predictionErrors, messages.errors);
    await producer.send(TOPICS.alerts, alerts);
    await producer.send(TOPICS.sentiment, news);

    const stack = testStack();
    app = buildDashboard(
      loadDashboardConfig({
        KAFKA_BROKERS: stack.kafkaBrokers,
        TOPIC_PREFIX: prefix,
        PORT: '0',
        OPS_PORT: '0',
        POLL_MS: '500',
        LOG_LEVEL: 'warn',
      }),
      { log: createLogger('dashboard', 'warn') },
    );
    await app.start();
    await eventually(
      'the dashboard to hold every message',
      async () => {
        const snapshot = await snapshotOf(app);
        const five = snapshot?.horizons.find((view) => view.horizon === 5);
        return snapshot !== undefined &&
          snapshot.candles.length === 240 &&
          five?.predictions.length === 240 &&
          five.current !== null &&
          snapshot.alerts.length === 3 &&
          snapshot.sentiment.count === 3
          ? true
          : undefined;
      },
      40_000,
    );

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(`http://127.0.0.1:${app.port}/?pair=btc-usdt`);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 20_000 });
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await producer?.disconnect();
    if (kafka !== undefined) {
      const names = ['candles', 'predictions', 'prediction-errors', 'alerts', 'sentiment'].map((topic) =>
        topicName(prefix, topic),
      );
      await deleteTopics(kafka, [...names, ...names.map(deadLetterTopic)]).catch(() => undefined);
    }
  });

  it('draws the candles sent, with their last close', async () => {
    const held = await page.evaluate((horizons) => {
      const charts = (globalThis as unknown as PageGlobals).dashboard.charts.price;
      return horizons.map((h) => {
        const data = charts[h]?.candles.data() ?? [];
        const last = data[data.length - 1];
        return { count: data.length, lastTime: last?.time, lastClose: last?.close };
      });
    }, HORIZONS);
    const last = candles[candles.length - 1];
    assert.ok(last !== undefined);
    for (const chart of held) {
      assert.equal(chart.count, 240, 'every candle is on every horizon’s chart');
      assert.equal(chart.lastTime, last.openTime / 1000, 'the last candle at its open time (s)');
      assert.equal(chart.lastClose, last.close, 'the last close as sent');
    }
  });

  it('draws each horizon’s predicted price and interval band as sent, on the bar they predict', async () => {
    for (const horizon of HORIZONS) {
      const sent = messages.predictions.filter((p) => p.horizon === horizon);
      const drawn = await page.evaluate((h) => {
        // No named helper here: the function is sent to the page as text, without tsx's helpers.
        const charts = (globalThis as unknown as PageGlobals).dashboard.charts.price[h];
        const [predicted, upper, lower] = [charts?.predicted, charts?.upper, charts?.lower].map((series) =>
          (series?.data() ?? []).map((point) => [point.time, point.value]),
        );
        return {
          predicted: predicted ?? [],
          upper: upper ?? [],
          lower: lower ?? [],
          band: charts?.band.points.length ?? 0,
        };
      }, horizon);
      assert.equal(drawn.predicted.length, sent.length, `${horizon}m: one predicted point per prediction`);
      assert.equal(drawn.band, sent.length, `${horizon}m: the band covers every prediction`);
      for (const [index, prediction] of sent.entries()) {
        const time = (prediction.targetTime - MINUTE) / 1000;
        assert.deepEqual(drawn.predicted[index], [time, prediction.predictedPrice], `${horizon}m predicted #${index}`);
        assert.deepEqual(drawn.upper[index], [time, prediction.upper], `${horizon}m upper #${index}`);
        assert.deepEqual(drawn.lower[index], [time, prediction.lower], `${horizon}m lower #${index}`);
      }
    }
  });

  it('paints candles and the band on the chart canvases', async () => {
    // Pixels close to the candle colours and to the band's fill blended on white.
    const counts = await page.evaluate((horizons) => {
      const targets = [
        [0x13, 0x7a, 0x4b], // up candles
        [0xc0, 0x39, 0x2b], // down candles
        [224, 233, 246], // the band's fill (rgba(31, 95, 191, 0.14)) on white
      ];
      return horizons.map((h) => {
        const { document } = globalThis as unknown as PageGlobals;
        const canvases = [...document.querySelectorAll(`#price-${h} canvas`)] as CanvasLike[];
        const found = [0, 0, 0];
        for (const canvas of canvases) {
          const context = canvas.getContext('2d');
          if (context === null || canvas.width === 0 || canvas.height === 0) continue;
          const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
          for (let i = 0; i < data.length; i += 4) {
            const match = targets.findIndex(
              ([r = 0, g = 0, b = 0]) =>
                Math.abs((data[i] ?? 0) - r) <= 12 &&
                Math.abs((data[i + 1] ?? 0) - g) <= 12 &&
                Math.abs((data[i + 2] ?? 0) - b) <= 12,
            );
            if (match >= 0) found[match] = (found[match] ?? 0) + 1;
          }
        }
        return { canvases: canvases.length, up: found[0] ?? 0, down: found[1] ?? 0, band: found[2] ?? 0 };
      });
    }, HORIZONS);
    for (const [index, count] of counts.entries()) {
      const horizon = HORIZONS[index];
      assert.ok(count.canvases >= 2, `${horizon}m: the chart made its canvases (${count.canvases})`);
      assert.ok(
        count.up > 50 && count.down > 50,
        `${horizon}m: up and down candles are painted (${count.up}, ${count.down})`,
      );
      assert.ok(count.band > 200, `${horizon}m: the interval band is painted (${count.band} px)`);
    }
  });

  it('shows the error metrics against naive and the coverage, as the monitor computes them', async () => {
    const rows = await page.evaluate(() =>
      [...(globalThis as unknown as PageGlobals).document.querySelectorAll('#error-table tbody tr')].map((tr) =>
        [...tr.querySelectorAll('th, td')].map((cell) => cell.textContent ?? ''),
      ),
    );
    assert.equal(rows.length, HORIZONS.length);
    for (const [index, horizon] of HORIZONS.entries()) {
      const records = messages.errors.filter((e) => e.horizon === horizon);
      const newest = Math.max(...records.map((r) => r.targetTime));
      const inWindow = records.filter((r) => r.targetTime > newest - 60 * MINUTE);
      const expected = computeWindowMetrics(inWindow.map((r) => sampleFromRecord(r, 0.9)));
      const row = rows[index] ?? [];
      assert.equal(row[0], `${horizon} min`);
      assert.equal(row[1], String(expected.scored), `${horizon}m scored in the window`);
      assert.equal(row[2], `${usd.format(expected.mae ?? Number.NaN)} USDT`, `${horizon}m MAE`);
      assert.equal(row[3], `${usd.format(expected.maeNaive ?? Number.NaN)} USDT`, `${horizon}m naive MAE`);
      assert.equal(row[5], `${usd.format(expected.rmse ?? Number.NaN)} USDT`, `${horizon}m RMSE`);
      assert.equal(row[6], `${usd.format(expected.rmseNaive ?? Number.NaN)} USDT`, `${horizon}m naive RMSE`);
      assert.equal(row[7], `${((expected.coverage ?? 0) * 100).toFixed(1)} %`, `${horizon}m coverage`);
      assert.equal(row[8], '90.0 %', `${horizon}m nominal coverage`);
    }
    const lines = await page.evaluate((horizons) => {
      const { errors, coverage } = (globalThis as unknown as PageGlobals).dashboard.charts;
      return horizons.map((h) => ({
        mae: errors[h]?.mae.data().length ?? 0,
        naiveMae: errors[h]?.naiveMae.data().length ?? 0,
        coverage: coverage.lines[h]?.data().length ?? 0,
      }));
    }, HORIZONS);
    for (const [index, line] of lines.entries()) {
      assert.ok(line.mae > 10 && line.mae === line.naiveMae, `${HORIZONS[index]}m: MAE over time beside naive's`);
      assert.equal(line.coverage, line.mae, `${HORIZONS[index]}m: coverage over time`);
    }
  });

  it('lists the pair’s alerts and the global ones, newest first, and not another pair’s', async () => {
    const rows = await page.evaluate(() =>
      [...(globalThis as unknown as PageGlobals).document.querySelectorAll('#alerts-table tbody tr')].map((tr) => ({
        id: tr.dataset.alertId,
        cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
      })),
    );
    assert.deepEqual(
      rows.map((row) => row.id),
      [
        'global-alert',
        `coverage-drift:BTC/USDT:15:${FROM + 150 * MINUTE}`,
        `error-drift:BTC/USDT:5:${FROM + 90 * MINUTE}`,
      ],
    );
    assert.deepEqual(rows[1]?.cells, [
      '2025-01-02 02:30 UTC',
      'critical',
      'coverage-drift',
      '15 min',
      'coverage 62% is below nominal 90% for BTC/USDT at 15m',
    ]);
  });

  it('shows the coin’s sentiment scores', async () => {
    const rows = await page.evaluate(() =>
      [...(globalThis as unknown as PageGlobals).document.querySelectorAll('#sentiment-table tbody tr')].map((tr) =>
        [...tr.querySelectorAll('td')].map((td) => td.textContent),
      ),
    );
    assert.deepEqual(
      rows.map((row) => [row[0], row[1], row[2], row[5]]),
      [
        ['2025-01-02 03:10 UTC', 'neutral', '+0.05', 'mixed'],
        ['2025-01-02 01:20 UTC', 'bearish', '−0.45', 'exchange outage'],
        ['2025-01-02 00:20 UTC', 'bullish', '+0.60', 'ETF inflows'],
      ],
      'BTC news, newest first (ETH news is not shown)',
    );
    const bars = await page.evaluate(() =>
      (globalThis as unknown as PageGlobals).dashboard.charts.sentiment.histogram
        .data()
        .filter((bar) => bar.value !== undefined) // hours without news are empty slots
        .map((bar) => [bar.time, bar.value]),
    );
    assert.deepEqual(
      bars,
      [
        [FROM / 1000, 0.6],
        [(FROM + 60 * MINUTE) / 1000, -0.45],
        [(FROM + 180 * MINUTE) / 1000, 0.05],
      ],
      'the mean score of each hour with news, at the hour',
    );
    assert.match(
      (await page.textContent('#sentiment-summary')) ?? '',
      /3 scored news items about BTC, mean score \+0\.07/,
    );
  });

  it('follows new messages while open, is accessible by labels, and saves a screenshot', async () => {
    await producer.send(TOPICS.candles, [nextCandle]);
    await page.waitForFunction(
      () => (globalThis as unknown as PageGlobals).dashboard.charts.price[1]?.candles.data().length === 241,
      undefined,
      { timeout: 20_000 },
    );
    const label = await page.getAttribute('#price-5 .chart', 'aria-label');
    assert.match(
      label ?? '',
      /BTC\/USDT, 5-minute horizon: 241 candles; last close [0-9,]+\.\d\d USDT at 2025-01-02 04:01 UTC/,
    );
    for (const id of ['pair', 'window']) {
      assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `the ${id} control has a label`);
    }
    assert.deepEqual(pageErrors, [], 'no errors in the page');

    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok((await stat(SCREENSHOT)).size > 20_000, `a screenshot with content at ${SCREENSHOT}`);
  });

  it('recomputes the metrics for another window chosen on the page', async () => {
    const renders = await page.evaluate(() => (globalThis as unknown as PageGlobals).dashboard.renders);
    await page.selectOption('#window', { label: '15m' });
    await page.waitForFunction((before) => (globalThis as unknown as PageGlobals).dashboard.renders > before, renders, {
      timeout: 10_000,
    });
    const scored = await page.evaluate(() =>
      [
        ...(globalThis as unknown as PageGlobals).document.querySelectorAll('#error-table tbody tr td:first-of-type'),
      ].map((td) => td.textContent),
    );
    assert.deepEqual(scored, ['15', '15', '15', '15'], 'a 15-minute window holds 15 one-minute targets per horizon');
    assert.match(page.url(), /[?&]window=15m/, 'the choice is kept in the address');
  });

  it('dead-letters a message that is not a candle, serves ops endpoints', async () => {
    const spec: TopicSpec = { name: deadLetterTopic('candles'), schema: DeadLetter, key: () => 'x', partitions: 1 };
    const letters = await collectTopic(
      kafka,
      prefix,
      spec,
      (seen) => seen.some((l) => (l as DeadLetter).service === 'dashboard'),
      20_000,
    );
    assert.match((letters[0] as DeadLetter).reason, /schema: /);
    const ready = await fetch(`http://127.0.0.1:${app.opsPort}/readyz`);
    assert.equal(ready.status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${app.opsPort}/metrics`)).text();
    assert.match(metrics, /dashboard_messages_total\{[^}]*topic="candles"[^}]*outcome="accepted"[^}]*\} 241/);
  });
});

async function snapshotOf(app: DashboardApp): Promise<DashboardSnapshot | undefined> {
  const response = await fetch(`http://127.0.0.1:${app.port}/api/snapshot?pair=BTC/USDT`);
  return response.ok ? ((await response.json()) as DashboardSnapshot) : undefined;
}

/** What the page keeps on window.dashboard (see public/dashboard.js): lightweight-charts series. */
interface SeriesLike {
  data(): readonly { time: number; value?: number; close?: number }[];
}
interface DashboardWindow {
  renders: number;
  charts: {
    price: Record<
      number,
      { candles: SeriesLike; predicted: SeriesLike; upper: SeriesLike; lower: SeriesLike; band: { points: unknown[] } }
    >;
    errors: Record<number, { mae: SeriesLike; naiveMae: SeriesLike; rmse: SeriesLike; naiveRmse: SeriesLike }>;
    coverage: { lines: Record<number, SeriesLike> };
    sentiment: { histogram: SeriesLike };
  };
}

/**
 * The little of the browser the in-page checks use. The test is compiled without the DOM library
 * (Node's types only), and functions passed to page.evaluate run in the page, so they reach the
 * page's globals through these types.
 */
interface ElementLike {
  readonly textContent: string | null;
  readonly dataset: Record<string, string | undefined>;
  querySelectorAll(selector: string): Iterable<ElementLike>;
}
interface CanvasLike extends ElementLike {
  readonly width: number;
  readonly height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
interface PageGlobals {
  dashboard: DashboardWindow;
  document: { querySelectorAll(selector: string): Iterable<ElementLike> };
}
