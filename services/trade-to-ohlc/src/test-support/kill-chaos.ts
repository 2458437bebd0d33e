import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import {
  Candle,
  createKafka,
  DeadLetter,
  deadLetterTopic,
  deleteTopics,
  ensureTopics,
  MessageProducer,
  topicName,
  TOPICS,
  type Consumer,
  type Kafka,
  type Trade,
} from '@crypto-predict/core';
import { seededRandom } from '@crypto-predict/core/testing';
import { readExpandedCandles } from '../adapters/replay/expanded-candles.js';
import { consumerGroupId, stateTopicName } from '../config.js';
import { CandleAggregator, DEFAULT_AGGREGATOR_OPTIONS } from '../domain/candle-aggregator.js';

/**
 * The kill -9 harness shared by the exactly-once integration test and the `chaos` benchmark:
 * trades (expanded from real Binance candles, with late trades and undecodable messages mixed in)
 * are pre-produced to a fresh trades topic; the service's own main.ts runs as a child process
 * (ROLE=aggregate) and is killed with SIGKILL at random moments, restarted each time; a
 * read_committed reader of the candles topic records every candle it sees. The expected candles
 * are the pure CandleAggregator's output on the same trades in the same order.
 */

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface ChaosData {
  /** The trades-topic messages in produce order (one pair, so one partition). */
  messages: { key: string; value: string }[];
  trades: number;
  lateTrades: number;
  badMessages: number;
  /** The pure aggregator's candles, by candleId. */
  expected: Map<string, Candle>;
}

/** A candle's identity: a window and its revision. */
export function candleId(candle: Pick<Candle, 'pair' | 'timeframe' | 'openTime' | 'revision'>): string {
  return `${candle.pair}|${candle.timeframe}|${candle.openTime}|${candle.revision}`;
}

/**
 * At least `minTrades` trades expanded from the real 1-minute candles from `from` on (whole
 * candles), plus every `lateEvery` trades a copy of a trade about two minutes older (a late trade:
 * its window is revised), and every `badEvery` trades an undecodable message.
 */
export async function buildChaosData(options: {
  from: number;
  minTrades: number;
  lateEvery: number;
  badEvery: number;
}): Promise<ChaosData> {
  const messages: { key: string; value: string }[] = [];
  const aggregator = new CandleAggregator(DEFAULT_AGGREGATOR_OPTIONS);
  const expected = new Map<string, Candle>();
  const history: Trade[] = [];
  let trades = 0;
  let lateTrades = 0;
  let badMessages = 0;
  const add = (trade: Trade): void => {
    messages.push({ key: trade.pair, value: JSON.stringify(trade) });
    for (const candle of aggregator.add(trade).candles) expected.set(candleId(candle), candle);
    trades += 1;
  };
  for await (const batch of readExpandedCandles({ from: options.from, to: options.from + 366 * 86_400_000 })) {
    for (const trade of batch) {
      add(trade);
      history.push(trade);
      if (history.length > 20_000) history.splice(0, 10_000);
      if (trades % options.lateEvery === 0) {
        const old = history.find((t) => t.time >= trade.time - 125_000 && t.time <= trade.time - 115_000);
        if (old !== undefined) {
          add({ ...old, tradeId: `${old.tradeId}-late` });
          lateTrades += 1;
        }
      }
      if (trades % options.badEvery === 0) {
        messages.push({ key: trade.pair, value: `{"v":1,"pair":"${trade.pair}","price":` });
        badMessages += 1;
      }
    }
    if (trades >= options.minTrades) break;
  }
  for (const candle of aggregator.flush()) expected.set(candleId(candle), candle);
  return { messages, trades, lateTrades, badMessages, expected };
}

/**
 * Everything a reader saw on the candles topic and the trades dead-letter topic: read_committed
 * (what the guarantee is about), or read_uncommitted (to show what the kills left in the log).
 */
export class CandleReader {
  readonly candles = new Map<string, Candle[]>();
  readonly invalid: string[] = [];
  /** Dead letters by the offset of the trades message they stand for. */
  readonly letters = new Map<string, number>();
  private consumer: Consumer | undefined;

  constructor(private readonly readUncommitted = false) {}

  async start(kafka: Kafka, candlesTopic: string, lettersTopic: string, groupId: string): Promise<void> {
    const consumer = kafka.consumer({
      'js.consumer.max.batch.size': 10_000,
      kafkaJS: { groupId, fromBeginning: true, autoCommit: false, readUncommitted: this.readUncommitted },
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [candlesTopic, lettersTopic] });
    await consumer.run({
      eachBatch: ({ batch }) => {
        for (const message of batch.messages) {
          const text = message.value?.toString('utf8') ?? 'null';
          if (batch.topic === lettersTopic) {
            const letter = DeadLetter.safeParse(JSON.parse(text));
            const key = letter.success ? String(letter.data.offset) : `invalid:${message.offset}`;
            this.letters.set(key, (this.letters.get(key) ?? 0) + 1);
            continue;
          }
          const parsed = Candle.safeParse(JSON.parse(text));
          if (!parsed.success) {
            this.invalid.push(text);
            continue;
          }
          const id = candleId(parsed.data);
          const list = this.candles.get(id);
          if (list === undefined) this.candles.set(id, [parsed.data]);
          else list.push(parsed.data);
        }
        return Promise.resolve();
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

export interface ChaosComparison {
  candles_expected: number;
  candles_seen: number;
  lost: number;
  duplicated: number;
  wrong: number;
  /** A few examples of each problem, for the logs. */
  examples: string[];
}

/** Each expected candle seen exactly once with exactly the expected values; nothing else seen. */
export function compareCandles(expected: Map<string, Candle>, reader: CandleReader): ChaosComparison {
  let lost = 0;
  let duplicated = 0;
  let wrong = reader.invalid.length;
  let seen = reader.invalid.length;
  const examples: string[] = reader.invalid.slice(0, 3).map((text) => `invalid candle ${text}`);
  const note = (text: string): void => {
    if (examples.length < 10) examples.push(text);
  };
  for (const [id, want] of expected) {
    const got = reader.candles.get(id);
    if (got === undefined) {
      lost += 1;
      note(`lost ${id}`);
      continue;
    }
    if (got.length > 1) {
      duplicated += got.length - 1;
      note(`seen ${got.length} times: ${id}`);
    }
    if (!got.every((candle) => isDeepStrictEqual(candle, want))) {
      wrong += 1;
      note(`wrong values for ${id}: got ${JSON.stringify(got[0])}, want ${JSON.stringify(want)}`);
    }
  }
  for (const [id, got] of reader.candles) {
    seen += got.length;
    if (!expected.has(id)) {
      wrong += got.length;
      note(`unexpected candle ${id}`);
    }
  }
  return { candles_expected: expected.size, candles_seen: seen, lost, duplicated, wrong, examples };
}

export interface ChaosOptions {
  brokers: string;
  data: ChaosData;
  kills: number;
  seed: number;
  /** Share of kills made at a random moment of start-up (restore, group join) rather than mid-stream. */
  startupKillShare?: number;
  /** Extra environment of the service (commit settings...). */
  env?: Record<string, string>;
  log?: (message: string) => void;
  /** Keep the topics after the run (for a look); default: delete them. */
  keepTopics?: boolean;
}

export interface ChaosReport extends ChaosComparison {
  kills: number;
  /** Kills made while the committed offset was short of the end of the trades (mid-stream). */
  kills_mid_stream: number;
  trades: number;
  messages: number;
  late_trades: number;
  dead_letters_expected: number;
  dead_letters_seen: number;
  dead_letters_duplicated: number;
  /** Committed offset of the trades partition at each kill. */
  killed_at_offsets: number[];
  /**
   * Candles a read_uncommitted reader saw more than once: output of transactions the kills cut
   * short, which is in the log but hidden from read_committed readers.
   */
  uncommitted_reader_duplicates: number;
  seed: number;
}

/** Runs the kill -9 scenario and compares what a read_committed reader saw with the oracle. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const prefix = `chaos-${options.seed.toString(36)}-${Date.now().toString(36)}`;
  const group = `${prefix}-aggregate`;
  const tradesTopic = topicName(prefix, TOPICS.trades.name);
  const candlesTopic = topicName(prefix, TOPICS.candles.name);
  const kafka = createKafka({ brokers: options.brokers, clientId: prefix });
  const topics = [tradesTopic, candlesTopic].flatMap((name) => [name, deadLetterTopic(name)]);
  const reader = new CandleReader();
  const uncommitted = new CandleReader(true);
  const children: ChildProcess[] = [];
  /** The children's logs: kept (in the temp folder) only when the run fails. */
  const logFiles: string[] = [];
  let succeeded = false;
  const total = options.data.messages.length;

  const env = {
    KAFKA_BROKERS: options.brokers,
    TOPIC_PREFIX: prefix,
    CONSUMER_GROUP: group,
    ROLE: 'aggregate',
    SOURCE: 'none',
    OPS_PORT: '0',
    LOG_LEVEL: 'info',
    TIMEFRAMES: DEFAULT_AGGREGATOR_OPTIONS.timeframes.join(','),
    GRACE_MS: String(DEFAULT_AGGREGATOR_OPTIONS.graceMs),
    LATE_TRADE_POLICY: DEFAULT_AGGREGATOR_OPTIONS.lateTradePolicy,
    MAX_LATENESS_MS: String(DEFAULT_AGGREGATOR_OPTIONS.maxLatenessMs),
    FLUSH_ON_IDLE_MS: '0',
    ...options.env,
  };
  const start = (label: string, extra: Record<string, string> = {}): { child: ChildProcess; logFile: string } => {
    const logFile = join(tmpdir(), `${prefix}-${label}.log`);
    logFiles.push(logFile);
    const out = createWriteStream(logFile);
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    children.push(child);
    return { child, logFile };
  };
  const admin = kafka.admin();
  const committed = async (): Promise<number> => {
    const offsets = await admin.fetchOffsets({
      groupId: consumerGroupId({ TOPIC_PREFIX: prefix, CONSUMER_GROUP: group }),
      topics: [tradesTopic],
    });
    return (offsets[0]?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  };
  const exited = (child: ChildProcess): Promise<void> =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => child.once('exit', () => resolve()));

  try {
    await admin.connect();
    await ensureTopics(kafka, [
      { name: tradesTopic, partitions: TOPICS.trades.partitions },
      { name: deadLetterTopic(tradesTopic), partitions: 1 },
      { name: candlesTopic, partitions: TOPICS.candles.partitions },
      { name: deadLetterTopic(candlesTopic), partitions: 1 },
    ]);
    log(`producing ${total} messages (${options.data.trades} trades) to ${tradesTopic}`);
    const producer = await MessageProducer.connect(kafka, { prefix, lingerMs: 20 });
    try {
      const inFlight: Promise<void>[] = [];
      for (let at = 0; at < total; at += 5_000) {
        inFlight.push(producer.sendRaw(tradesTopic, options.data.messages.slice(at, at + 5_000)));
        if (inFlight.length >= 8) await inFlight.shift();
      }
      await Promise.all(inFlight);
    } finally {
      await producer.disconnect();
    }
    await reader.start(kafka, candlesTopic, deadLetterTopic(tradesTopic), `${prefix}-reader`);
    await uncommitted.start(kafka, candlesTopic, deadLetterTopic(tradesTopic), `${prefix}-uncommitted-reader`);

    const killedAt: number[] = [];
    let midStream = 0;
    for (let kill = 0; kill < options.kills; kill += 1) {
      const { child, logFile } = start(`run-${kill}`);
      const died = exited(child).then(() => {
        throw new Error(`the aggregator exited by itself before kill ${kill + 1} (see ${logFile})`);
      });
      died.catch(() => undefined);
      let how: string;
      if (random() < (options.startupKillShare ?? 0.2)) {
        const delay = Math.floor(random() * 3_000);
        await Promise.race([sleep(delay), died]);
        how = `${delay} ms after start`;
      } else {
        // Spread the mid-stream kills over the stream: wait for the committed offset to pass a
        // target, then a random moment more (inside a transaction, a commit or between them).
        const target = Math.floor((total * (kill + 1)) / (options.kills + 1));
        const deadline = Date.now() + 180_000;
        for (;;) {
          await Promise.race([sleep(25), died]);
          if ((await committed()) >= target) break;
          if (Date.now() > deadline) throw new Error(`no progress to offset ${target} before kill ${kill + 1}`);
        }
        const extra = Math.floor(random() * 250);
        await Promise.race([sleep(extra), died]);
        how = `past offset ${target} + ${extra} ms`;
      }
      child.kill('SIGKILL');
      await exited(child);
      const at = await committed();
      killedAt.push(at);
      if (at < total) midStream += 1;
      log(`kill -9 #${kill + 1} (${how}): committed offset ${at} of ${total}, candles seen ${reader.candles.size}`);
    }

    log('final run, to the end of the trades (idle flush on)');
    const final = start('final', { FLUSH_ON_IDLE_MS: '1500' });
    const finalDied = exited(final.child).then(() => {
      throw new Error(`the final aggregator exited by itself (see ${final.logFile})`);
    });
    finalDied.catch(() => undefined);
    const deadline = Date.now() + 300_000;
    while ((await committed()) < total || reader.candles.size < options.data.expected.size) {
      if (Date.now() > deadline)
        throw new Error(
          `the final run did not finish: committed ${await committed()} of ${total}, candles ${reader.candles.size} of ${options.data.expected.size} (see ${final.logFile})`,
        );
      await Promise.race([sleep(200), finalDied]);
    }
    // Anything seen twice would arrive with the rest; give it time to.
    await sleep(2_500);
    final.child.kill('SIGTERM');
    await Promise.race([exited(final.child), sleep(20_000)]);
    await sleep(500);

    const comparison = compareCandles(options.data.expected, reader);
    succeeded = true;
    const letterCounts = [...reader.letters.values()];
    return {
      kills: options.kills,
      kills_mid_stream: midStream,
      trades: options.data.trades,
      messages: total,
      late_trades: options.data.lateTrades,
      ...comparison,
      dead_letters_expected: options.data.badMessages,
      dead_letters_seen: letterCounts.reduce((a, b) => a + b, 0),
      dead_letters_duplicated: letterCounts.reduce((a, b) => a + Math.max(0, b - 1), 0),
      killed_at_offsets: killedAt,
      uncommitted_reader_duplicates: compareCandles(options.data.expected, uncommitted).duplicated,
      seed: options.seed,
    };
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await reader.stop().catch(() => undefined);
    await uncommitted.stop().catch(() => undefined);
    if (succeeded) for (const file of logFiles) rmSync(file, { force: true });
    await admin.disconnect().catch(() => undefined);
    if (options.keepTopics !== true)
      await deleteTopics(kafka, [...topics, stateTopicName({ TOPIC_PREFIX: prefix, CONSUMER_GROUP: group })]).catch(
        () => undefined,
      );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
