// The closed loop, against the real local stack: real Binance trades for 90 minutes, then a regime
// change (the same trades with every log return from the last real close scaled by 4, i.e. four
// times the volatility) replayed through trade-to-ohlc -> technical-indicators -> price-predictor ->
// model-error-monitor, whose Page-Hinkley detector must alarm after the change (and not before),
// publish an alert and a retrain request; the trainer's `serve` process must consume the request,
// wait for the feature store to hold the data that caused it, retrain and register a new version
// with its champion decision. The test checks what followed against MLflow, the topics and the
// trainer's own status, whichever way the champion decision went.
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { TOPICS, type Alert, type Candle, type Kafka, type RetrainRequest } from '@crypto-predict/core';
import { readBinanceCandles } from '@crypto-predict/core/market-data';
import { collectTopic, eventually, testKafka } from '@crypto-predict/core/testing';
import { expandCandle } from '../../services/trade-to-ohlc/src/adapters/replay/candle-expansion.js';
import { startSandbox, type Sandbox } from '../../scripts/lib/sandbox.js';

const PAIR = 'BTC/USDT';
const MINUTE = 60_000;
// A quiet stretch of June 2024 (about 300 trades a minute), so the replay itself is cheap.
const TRAIN = { from: '2024-06-13', to: '2024-06-16' };
const REPLAY_FROM = Date.parse('2024-06-16T00:00:00Z');
const SHIFT_AT = REPLAY_FROM + 90 * MINUTE;
const REPLAY_TO = REPLAY_FROM + 180 * MINUTE;
const VOLATILITY_FACTOR = 4;
const HORIZONS = [1, 5, 15, 60];

/** The regime change: log returns measured from `anchor` are multiplied by `factor`. */
function shifted(price: number, anchor: number, factor: number): number {
  return anchor * Math.exp(factor * Math.log(price / anchor));
}

interface Injected {
  /** The close of each replayed minute after the change is applied (openTime -> close). */
  closes: Map<number, number>;
  anchor: number;
  trades: number;
}

/**
 * Writes the trades of the replay as the generic trade CSV trade-to-ohlc replays: the real candles
 * expanded to trades (as its replay-candles source does), with the regime change applied to every
 * trade from SHIFT_AT on, anchored at the last real close before it.
 */
async function writeTrades(file: string): Promise<Injected> {
  const out = createWriteStream(file);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('time_ms,price,qty,side,trade_id\n');
  const closes = new Map<number, number>();
  let anchor: number | null = null;
  let lastRealClose = Number.NaN;
  let trades = 0;
  for await (const candle of readBinanceCandles({ from: REPLAY_FROM, to: REPLAY_TO })) {
    if (candle.openTime >= SHIFT_AT && anchor === null) anchor = lastRealClose;
    const scale = (price: number): number => (anchor === null ? price : shifted(price, anchor, VOLATILITY_FACTOR));
    lastRealClose = candle.close;
    closes.set(candle.openTime, scale(candle.close));
    for (const trade of expandCandle(candle, 'binance').trades) {
      await write(`${trade.time},${scale(trade.price)},${trade.qty},${trade.side},${trade.tradeId}\n`);
      trades += 1;
    }
  }
  out.end();
  await once(out, 'finish');
  assert.ok(anchor !== null && Number.isFinite(anchor), 'the replay spans the regime change');
  return { closes, anchor, trades };
}

async function mlflow<T>(sandbox: Sandbox, path: string, params: Record<string, string>): Promise<T | undefined> {
  const response = await fetch(
    `${sandbox.stack.mlflowUri}/api/2.0/mlflow/${path}?${new URLSearchParams(params).toString()}`,
  );
  if (response.status === 404) return undefined;
  if (response.status === 400) {
    // MLflow answers an alias that is not set with 400 INVALID_PARAMETER_VALUE "... not found".
    const body = await response.text();
    if (/not found/i.test(body)) return undefined;
    throw new Error(`MLflow ${path}: 400 ${body}`);
  }
  if (!response.ok) throw new Error(`MLflow ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface ModelVersion {
  version: string;
  run_id: string;
  tags?: { key: string; value: string }[];
}

const tagsOf = (list: { key: string; value: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((list ?? []).map((tag) => [tag.key, tag.value]));

describe('the closed loop: a regime change is detected and the model is retrained', { timeout: 10 * 60_000 }, () => {
  const file = join(tmpdir(), `closed-loop-${process.pid}-${Date.now()}.csv`);
  let injected: Injected;
  let sandbox: Sandbox;
  let kafka: Kafka;
  let alerts: Alert[] = [];
  let request: RetrainRequest;

  before(async () => {
    injected = await writeTrades(file);
    sandbox = await startSandbox({
      label: 'loop',
      pair: PAIR,
      train: TRAIN,
      replay: {
        from: new Date(REPLAY_FROM).toISOString(),
        to: new Date(REPLAY_TO).toISOString(),
        speed: 0,
        file,
      },
      services: ['technical-indicators', 'price-predictor', 'model-error-monitor', 'model-trainer', 'trade-to-ohlc'],
      // The detector's in-control level comes from the first hour; its thresholds stay the calibrated
      // defaults (README of the monitor), so what it catches here it would catch live.
      env: { 'model-error-monitor': { PH_WARMUP: '60' } },
      trainer: { lookback: '3d' },
    });
    kafka = testKafka(`${sandbox.id}-loop`);
  });

  after(async () => {
    await sandbox?.cleanup();
    await rm(file, { force: true });
  });

  it('the replayed candles carry the injected regime change', async () => {
    const candles = await collectTopic(
      kafka,
      sandbox.id,
      TOPICS.candles,
      (seen) => seen.some((c) => c.timeframe === '1m' && c.openTime === REPLAY_TO - MINUTE),
      120_000,
    );
    const byOpen = new Map(candles.filter((c) => c.timeframe === '1m').map((c): [number, Candle] => [c.openTime, c]));
    for (const [openTime, close] of injected.closes) {
      const got = byOpen.get(openTime)?.close;
      assert.ok(got !== undefined, `a 1m candle at ${new Date(openTime).toISOString()}`);
      assert.ok(
        Math.abs(got - close) <= 1e-9 * close,
        `close at ${new Date(openTime).toISOString()}: ${got} vs ${close}`,
      );
    }
  });

  it('the monitor alarmed on the error after the change, never before it, and asked for a retrain', async () => {
    alerts = await collectTopic(
      kafka,
      sandbox.id,
      TOPICS.alerts,
      (seen) => seen.some((a) => a.kind === 'retrain-requested' && a.pair === PAIR),
      240_000,
    );
    const drift = alerts.filter((a) => a.kind === 'error-drift' && a.pair === PAIR);
    // Repeated alarms of one series are held back for ALERT_COOLDOWN_MS (1 h of event time).
    assert.ok(drift.length >= 1, 'an error-drift alert');
    assert.deepEqual(
      drift.filter((a) => a.time < SHIFT_AT).map((a) => a.message),
      [],
      'no error-drift alarm on the 90 real minutes before the change',
    );
    const first = Math.min(...drift.map((a) => a.time));
    const delay = (first - SHIFT_AT) / MINUTE;
    assert.ok(delay <= 60, `detected within an hour of the change (after ${delay} min)`);
    for (const alert of drift) {
      assert.equal(alert.details.modelName, sandbox.modelName, 'the series of the served model');
      assert.equal(alert.details.modelVersion, String(sandbox.trained.version));
      // Only the 1-minute series sees one prediction a minute, enough to pass a warm-up of 60 in 3 h.
      assert.equal(alert.details.horizon, 1);
      assert.ok(alert.severity === 'warning' || alert.severity === 'critical');
    }
    process.stderr.write(`[closed-loop] first error-drift alarm ${delay} event-minutes after the change\n`);

    const requests = await collectTopic(kafka, sandbox.id, TOPICS.retrainRequests, (seen) => seen.length >= 1, 30_000);
    assert.equal(requests.length, 1, 'one retrain request per pair within the cooldown');
    const [only] = requests;
    assert.ok(only !== undefined);
    request = only;
    assert.equal(request.pair, PAIR);
    assert.equal(request.timeframe, '1m');
    assert.equal(request.requestedBy, 'model-error-monitor');
    assert.ok(request.time > first, 'requested after the first alarm');
    const alarms = /sustained error drift: (\d+) Page-Hinkley alarms/.exec(request.reason);
    assert.ok(alarms !== null && Number(alarms[1]) >= 2, `two alarms make drift sustained: ${request.reason}`);
    const announced = alerts.find((a) => a.kind === 'retrain-requested');
    assert.equal(announced?.time, request.time, 'the retrain-requested alert announces that request');
  });

  it('the trainer retrained on the new data and recorded its champion decision', async () => {
    assert.ok(request !== undefined, 'the previous test found the retrain request');
    const name = sandbox.modelName;
    const initial = sandbox.trained as { version?: string; champion?: { promoted?: boolean } };
    const retrained = await eventually(
      'a new model version answering the retrain request',
      async () => {
        const found = await mlflow<{ model_versions?: ModelVersion[] }>(sandbox, 'model-versions/search', {
          filter: `name='${name}'`,
        });
        return found?.model_versions?.find((v) => tagsOf(v.tags).retrain_request_ids === request.id);
      },
      180_000,
      1000,
    );
    const tags = tagsOf(retrained.tags);
    assert.equal(Number(retrained.version), Number(initial.version) + 1, 'the version after the initial one');
    assert.equal(tags.trigger, 'request');
    assert.equal(tags.retrain_requested_by, 'model-error-monitor');
    const decision = /^(promoted|not_promoted): (.+)$/.exec(tags.champion_decision ?? '');
    assert.ok(decision !== null, `a champion decision with its reason: ${tags.champion_decision}`);
    const promoted = decision[1] === 'promoted';
    assert.equal(tags.champion_promoted, String(promoted));

    // The run saw the data that caused the alarm: its span ends after the request's minute.
    const run = await mlflow<{
      run: { data: { params?: { key: string; value: string }[]; metrics?: { key: string; value: number }[] } };
    }>(sandbox, 'runs/get', { run_id: retrained.run_id });
    assert.ok(run !== undefined);
    const params = tagsOf(run.run.data.params);
    assert.ok(Date.parse(params.span_to ?? '') > request.time, `span ends (${params.span_to}) after the request`);
    assert.ok(Date.parse(params.span_to ?? '') > SHIFT_AT + 30 * MINUTE, 'the shifted regime is in the data');
    const metrics = Object.fromEntries((run.run.data.metrics ?? []).map((m) => [m.key, m.value]));
    const ratios = HORIZONS.map((h) => metrics[`test_mae_ratio_vs_naive_h${h}`]);
    assert.ok(
      ratios.every((r) => typeof r === 'number' && Number.isFinite(r)),
      'MAE ratio vs naive per horizon',
    );
    if (promoted)
      assert.ok(
        ratios.every((r) => (r ?? 1) < 1),
        'a promoted model beats naive at every horizon',
      );
    else if ((decision[2] ?? '').startsWith('does not beat naive'))
      assert.ok(
        ratios.some((r) => (r ?? 0) >= 1),
        'not promoted for losing to naive: some ratio is at least 1',
      );

    // The aliases follow the decision: challenger is the new version; champion moved only if promoted.
    const alias = async (which: string): Promise<string | null> =>
      (await mlflow<{ model_version: ModelVersion }>(sandbox, 'registered-models/alias', { name, alias: which }))
        ?.model_version.version ?? null;
    assert.equal(await alias('challenger'), retrained.version);
    const championBefore = initial.champion?.promoted === true ? String(initial.version) : null;
    assert.equal(await alias('champion'), promoted ? retrained.version : championBefore);

    // The trainer's own record of the run says the same.
    const status = (await (
      await fetch(`http://127.0.0.1:${sandbox.pipeline.ports['model-trainer']}/status`)
    ).json()) as { recentRuns: { version: string; requests: string[]; champion: { reason: string } }[] };
    const record = status.recentRuns.find((r) => r.version === retrained.version);
    assert.ok(record !== undefined, 'the trainer lists the run');
    assert.deepEqual(record.requests, [request.id]);
    assert.equal(record.champion.reason, decision[2]);
    process.stderr.write(`[closed-loop] v${retrained.version}: ${tags.champion_decision}\n`);
  });
});
