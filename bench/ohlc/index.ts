// Benchmark `ohlc`: trades per second end to end through the real local Kafka — trades topic in,
// committed candles out — for trade-to-ohlc's aggregator, side by side in the same run with a
// reference Quix Streams application (bench/ohlc/quix/app.py) doing the same tumbling-window OHLC on
// the same broker and data, and with the raw consume rate of our Kafka client on the same topic
// (consume and discard: the ceiling for any consumer written with it).
//
// Data: at least 1M trades (200k with --quick) expanded from the real Binance 1-minute candles of
// 2024-08-08, pre-produced once to a fresh trades topic (one pair, so one partition, as live).
// Each contender runs as its own process from the start of the topic with a fresh consumer group:
// - ours: services/trade-to-ohlc/src/main.ts, ROLE=aggregate, default settings: exactly-once
//   (candles, state and offsets in one Kafka transaction), 1m/5m/15m/1h candles, commits every
//   500 ms or 50,000 trades;
// - quix: quixstreams (pinned in bench/ohlc/quix/requirements.txt, installed on demand into
//   .data/bench/quix-venv), exactly-once too, the same commit cadence, 1m candles only;
// - raw: bench/ohlc/raw-consume.ts.
// Every contender is timed the same way from outside: from the moment its consumer group is Stable
// with the partitions assigned (polled every 50 ms; process start-up and group join are left out)
// to the moment its committed offset reaches N (ours and quix commit offsets in the same
// transaction as their candles) or, for raw, to its last message. rate = N / that time. Rounds
// alternate the order of the contenders; each contender's best round is reported (the machine is
// shared and noisy).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Candle,
  createKafka,
  deleteTopics,
  ensureTopics,
  groupName,
  MessageProducer,
  topicName,
  TOPICS,
  type Admin,
  type Kafka,
} from '@crypto-predict/core';
import { testStack } from '@crypto-predict/core/testing';
import type { BenchOptions, BenchResult } from '../run.js';
import { round } from '../lib/stats.js';
import { readExpandedCandles } from '../../services/trade-to-ohlc/src/adapters/replay/expanded-candles.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HERE = fileURLToPath(new URL('./', import.meta.url));
const VENV = join(REPO_ROOT, '.data', 'bench', 'quix-venv');
const LOG_DIR = join(REPO_ROOT, '.data', 'bench-logs', 'ohlc');
const SERVICE_MAIN = join(REPO_ROOT, 'services', 'trade-to-ohlc', 'src', 'main.ts');
const RAW_CONSUMER = join(HERE, 'raw-consume.ts');
const QUIX_APP = join(HERE, 'quix', 'app.py');
const REQUIREMENTS = join(HERE, 'quix', 'requirements.txt');

/** librdkafka's ConsumerGroupStates.STABLE. */
const STABLE = 3;

/** Node flags of our two processes, as in the service's start script (fewer promotions to the old generation). */
const NODE_FLAGS = ['--max-semi-space-size=64'];

const log = (message: string): void => void process.stderr.write(`[ohlc] ${message}\n`);

interface Rate {
  per_s: number;
  seconds: number;
  /** From process start to the end, start-up included. */
  wall_seconds: number;
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const minTrades = options.quick ? 200_000 : 1_000_000;
  const rounds = options.quick ? 1 : 2;
  const brokers = testStack().kafkaBrokers;
  const python = await ensureQuixVenv();
  mkdirSync(LOG_DIR, { recursive: true });

  const prefix = `ohlc-bench-${Date.now().toString(36)}`;
  const tradesTopic = topicName(prefix, TOPICS.trades.name);
  const quixOutput = topicName(prefix, 'candles-quix');
  const kafka = createKafka({ brokers, clientId: prefix });
  const admin = kafka.admin();
  await admin.connect();
  const ourGroups: string[] = [];
  const quixGroups: string[] = [];
  try {
    const trades = await produceTrades(kafka, prefix, tradesTopic, minTrades);
    const best = {
      ours: undefined as Rate | undefined,
      quix: undefined as Rate | undefined,
      raw: undefined as Rate | undefined,
    };
    const all: Record<string, Rate[]> = { ours: [], quix: [], raw: [] };
    const keep = (name: 'ours' | 'quix' | 'raw', rate: Rate): void => {
      all[name]?.push(rate);
      if (best[name] === undefined || rate.per_s > (best[name]?.per_s ?? 0)) best[name] = rate;
      log(
        `${name}: ${Math.round(rate.per_s).toLocaleString('en')} trades/s (${round(rate.seconds, 2)} s, ${round(rate.wall_seconds, 1)} s with start-up)`,
      );
    };
    for (let r = 0; r < rounds; r += 1) {
      const order = r % 2 === 0 ? (['raw', 'ours', 'quix'] as const) : (['quix', 'ours', 'raw'] as const);
      for (const name of order) {
        const label = `${name}-${r}`;
        if (name === 'raw') keep(name, await runRaw(admin, brokers, tradesTopic, trades, label));
        if (name === 'ours') {
          const group = `${prefix}-ours-${r}`;
          ourGroups.push(group);
          keep(name, await runOurs(admin, brokers, prefix, group, tradesTopic, trades, label));
        }
        if (name === 'quix') {
          const group = `${prefix}-quix-${r}`;
          quixGroups.push(group);
          keep(name, await runQuix(python, admin, brokers, group, tradesTopic, quixOutput, trades, label));
        }
      }
    }
    const ours = best.ours?.per_s ?? Number.NaN;
    const quix = best.quix?.per_s ?? Number.NaN;
    const raw = best.raw?.per_s ?? Number.NaN;
    const agreement = await compareOutputs(kafka, topicName(prefix, TOPICS.candles.name), quixOutput);
    return {
      trades_per_s: Math.round(ours),
      quix_trades_per_s: Math.round(quix),
      ratio_vs_quix: round(ours / quix, 2),
      raw_consume_per_s: Math.round(raw),
      ratio_vs_raw: round(ours / raw, 2),
      trades,
      exactly_once: true,
      quix_processing_guarantee: 'exactly-once',
      targets: { ratio_vs_quix: 3, ratio_vs_raw: 0.5 },
      timeframes: { ours: '1m,5m,15m,1h', quix: '1m' },
      commit_cadence: '500 ms or 50,000 trades, both',
      node_flags: NODE_FLAGS.join(' '),
      rounds,
      rounds_per_s: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.map((x) => Math.round(x.per_s))])),
      wall_seconds_with_startup: {
        ours: round(best.ours?.wall_seconds ?? Number.NaN, 1),
        quix: round(best.quix?.wall_seconds ?? Number.NaN, 1),
      },
      ...agreement,
    };
  } finally {
    await admin.disconnect().catch(() => undefined);
    await cleanUp(kafka, prefix, [...ourGroups, ...quixGroups]);
  }
}

/** Trades expanded from the real 2024-08-08 candles, whole minutes, until at least `minTrades`. */
async function produceTrades(kafka: Kafka, prefix: string, topic: string, minTrades: number): Promise<number> {
  await ensureTopics(kafka, [{ name: topic, partitions: TOPICS.trades.partitions }]);
  const producer = await MessageProducer.connect(kafka, { prefix, lingerMs: 20 });
  const started = Date.now();
  let count = 0;
  try {
    const inFlight: Promise<void>[] = [];
    let batch: { key: string; value: string }[] = [];
    const from = Date.parse('2024-08-08T00:00:00Z');
    for await (const minute of readExpandedCandles({ from, to: from + 86_400_000 })) {
      for (const trade of minute) batch.push({ key: trade.pair, value: JSON.stringify(trade) });
      count += minute.length;
      if (batch.length >= 5_000) {
        inFlight.push(producer.sendRaw(topic, batch));
        batch = [];
        if (inFlight.length >= 8) await inFlight.shift();
      }
      if (count >= minTrades) break;
    }
    inFlight.push(producer.sendRaw(topic, batch));
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  log(`produced ${count} trades to ${topic} in ${round((Date.now() - started) / 1000, 1)} s`);
  return count;
}

async function runRaw(admin: Admin, brokers: string, topic: string, trades: number, label: string): Promise<Rate> {
  const group = `${topic}-raw-${label}-${Date.now()}`;
  const child = start(
    label,
    process.execPath,
    [...NODE_FLAGS, '--import', 'tsx', RAW_CONSUMER, brokers, topic, String(trades), group],
    {},
  );
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const doneAt = (): Promise<number | undefined> => {
    const line = out.trim().split('\n').pop() ?? '';
    if (!line.startsWith('{')) return Promise.resolve(undefined);
    return Promise.resolve((JSON.parse(line) as { done_at?: number }).done_at);
  };
  const rate = await measure(admin, group, child, label, doneAt, true);
  if ((await exited) !== 0) throw new Error(`the raw consumer failed; see ${join(LOG_DIR, `${label}.log`)}`);
  return { ...rate, per_s: trades / rate.seconds };
}

async function runOurs(
  admin: Admin,
  brokers: string,
  prefix: string,
  group: string,
  topic: string,
  trades: number,
  label: string,
): Promise<Rate> {
  const child = start(label, process.execPath, [...NODE_FLAGS, '--import', 'tsx', SERVICE_MAIN], {
    KAFKA_BROKERS: brokers,
    TOPIC_PREFIX: prefix,
    CONSUMER_GROUP: group,
    ROLE: 'aggregate',
    SOURCE: 'none',
    OPS_PORT: '0',
    LOG_LEVEL: 'warn',
  });
  // The service joins its group under the prefix, as it names its topics.
  return measureCommitted(admin, groupName(prefix, group), topic, trades, child, label);
}

async function runQuix(
  python: string,
  admin: Admin,
  brokers: string,
  group: string,
  topic: string,
  output: string,
  trades: number,
  label: string,
): Promise<Rate> {
  const stateDir = join(REPO_ROOT, '.data', 'bench', `quix-state-${group}`);
  try {
    const child = start(label, python, [QUIX_APP], {
      KAFKA_BROKERS: brokers,
      QUIX_INPUT_TOPIC: topic,
      QUIX_OUTPUT_TOPIC: output,
      QUIX_GROUP: group,
      QUIX_STATE_DIR: stateDir,
      QUIX_PROCESSING_GUARANTEE: 'exactly-once',
      QUIX_COMMIT_INTERVAL: '0.5',
      QUIX_COMMIT_EVERY: '50000',
    });
    return await measureCommitted(admin, group, topic, trades, child, label);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Times a contender until its group's committed offset reaches `trades`, then stops it. */
async function measureCommitted(
  admin: Admin,
  group: string,
  topic: string,
  trades: number,
  child: ChildProcess,
  label: string,
): Promise<Rate> {
  const rate = await measure(admin, group, child, label, async () => {
    const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const offset = (offsets[0]?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    return offset >= trades ? Date.now() : undefined;
  });
  return { ...rate, per_s: trades / rate.seconds };
}

/**
 * Polls every 50 ms: first for the moment the group is Stable with its partitions assigned (the
 * start), then `finishedAt` until it gives the end (epoch ms). Stops the process after.
 */
async function measure(
  admin: Admin,
  group: string,
  child: ChildProcess,
  label: string,
  finishedAt: () => Promise<number | undefined>,
  /** Let the process end by itself (within 20 s) instead of stopping it. */
  endsByItself = false,
): Promise<Omit<Rate, 'per_s'>> {
  const spawned = Date.now();
  let assignedAt: number | undefined;
  let exitCode: number | null | undefined;
  child.once('exit', (code) => (exitCode = code));
  try {
    for (;;) {
      if (Date.now() - spawned > 15 * 60_000) throw new Error(`${label} did not finish in 15 minutes`);
      if (assignedAt === undefined) {
        const described = await admin.describeGroups([group]).catch(() => undefined);
        const description = described?.groups[0];
        const assigned = description?.members.some((member) => (member.assignment?.topicPartitions ?? []).length > 0);
        if (Number(description?.state) === STABLE && assigned === true) assignedAt = Date.now();
      }
      const end = await finishedAt();
      if (end !== undefined) {
        if (assignedAt === undefined) throw new Error(`${label} finished before its group was seen assigned`);
        return { seconds: (end - assignedAt) / 1000, wall_seconds: (end - spawned) / 1000 };
      }
      if (exitCode !== undefined)
        throw new Error(`${label} exited (${exitCode}) before the end; see ${join(LOG_DIR, `${label}.log`)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    if (exitCode === undefined) {
      if (!endsByItself) child.kill('SIGTERM');
      const stopped = await Promise.race([
        new Promise<boolean>((resolve) => child.once('exit', () => resolve(true))),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000)),
      ]);
      if (!stopped) child.kill('SIGKILL');
    }
  }
}

function start(label: string, command: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = createWriteStream(join(LOG_DIR, `${label}.log`));
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  return child;
}

/** The pinned Quix Streams in a venv of its own; installed (with pip's progress on stderr) when missing or changed. */
async function ensureQuixVenv(): Promise<string> {
  const python = join(VENV, 'bin', 'python');
  const marker = join(VENV, '.requirements.sha256');
  const wanted = createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex');
  if (existsSync(python) && existsSync(marker) && readFileSync(marker, 'utf8').trim() === wanted) return python;
  log(`installing Quix Streams (${REQUIREMENTS}) into ${VENV}`);
  const runStep = async (command: string, args: string[]): Promise<void> => {
    // pip's output is progress: to stderr, so stdout keeps only the result.
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 2, 2] });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${code})`);
  };
  if (!existsSync(python)) await runStep('python3', ['-m', 'venv', VENV]);
  await runStep(join(VENV, 'bin', 'pip'), [
    'install',
    '--disable-pip-version-check',
    '--progress-bar',
    'off',
    '-r',
    REQUIREMENTS,
  ]);
  writeFileSync(marker, `${wanted}\n`);
  return python;
}

/** Checks the two outputs agree: the 1-minute candles both emitted, compared field by field. */
async function compareOutputs(kafka: Kafka, ourTopic: string, quixTopic: string): Promise<Record<string, number>> {
  const read = async (topic: string): Promise<Map<number, Candle>> => {
    const byOpen = new Map<number, Candle>();
    const consumer = kafka.consumer({
      kafkaJS: { groupId: `${topic}-check-${Date.now()}`, fromBeginning: true, autoCommit: false },
    });
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const total = ends.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    let seen = 0;
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    const deadline = Date.now() + 60_000;
    await consumer.run({
      eachBatch: ({ batch }) => {
        for (const message of batch.messages) {
          seen += 1;
          const parsed = Candle.safeParse(JSON.parse(message.value?.toString('utf8') ?? 'null'));
          if (parsed.success && parsed.data.timeframe === '1m') byOpen.set(parsed.data.openTime, parsed.data);
        }
        return Promise.resolve();
      },
    });
    // Transaction markers take offsets too: stop once nothing more comes.
    let last = -1;
    while (Date.now() < deadline && seen < total) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      if (seen === last) break;
      last = seen;
    }
    await consumer.disconnect();
    return byOpen;
  };
  const ours = await read(ourTopic);
  const quix = await read(quixTopic);
  let compared = 0;
  let differing = 0;
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  for (const [openTime, q] of quix) {
    const o = ours.get(openTime);
    if (o === undefined) continue;
    compared += 1;
    const same =
      o.open === q.open &&
      o.high === q.high &&
      o.low === q.low &&
      o.close === q.close &&
      o.trades === q.trades &&
      close(o.volume, q.volume) &&
      close(o.vwap, q.vwap) &&
      close(o.buyVolume, q.buyVolume) &&
      close(o.sellVolume, q.sellVolume);
    if (!same) differing += 1;
  }
  log(`outputs: ours ${ours.size} 1m candles, quix ${quix.size}; ${compared} compared, ${differing} differ`);
  return {
    ours_candles_1m: ours.size,
    quix_candles_1m: quix.size,
    candles_compared: compared,
    candles_differing: differing,
  };
}

async function cleanUp(kafka: Kafka, prefix: string, groups: string[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const names = (await admin.listTopics()).filter(
      (name) => name.startsWith(`${prefix}.`) || groups.some((group) => name.includes(group)),
    );
    await deleteTopics(kafka, names);
  } catch (error) {
    log(`clean-up failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
