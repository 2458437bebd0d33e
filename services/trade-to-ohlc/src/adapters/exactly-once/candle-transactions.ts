import {
  AppError,
  deadLetterTopic,
  describeError,
  REBALANCE,
  transactionalConsumerConfig,
  transactionFailure,
  type Candle,
  type ConsumedPosition,
  type Consumer,
  type DeadLetter,
  type EachBatchPayload,
  type Kafka,
  type Logger,
  type OutgoingRecord,
  type Received,
  type Trade,
} from '@crypto-predict/core';
import { CandleAggregator, type AggregatorOptions } from '../../domain/candle-aggregator.js';
import type { Metrics } from '../../metrics.js';
import { CandleStage } from '../candle-stage.js';
import { TradeDecoder } from '../trade-decoder.js';
import { CommitPolicy, type CommitPolicyOptions } from './commit-policy.js';
import {
  readPartitionState,
  stateKey,
  statePartition,
  type PartitionState,
  type StateLocation,
} from './partition-state.js';

/** What the loop needs of a transactional producer (core's TransactionalProducer; tests wrap it). */
export interface TransactionSink {
  begin(): Promise<void>;
  send(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  sendOffsets(consumer: Consumer, positions: readonly ConsumedPosition[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface CandleTransactionsOptions {
  kafka: Kafka;
  producer: TransactionSink;
  state: StateLocation;
  tradesTopic: string;
  candlesTopic: string;
  groupId: string;
  /** This instance's static group membership id (stable across its restarts). */
  instanceId?: string;
  aggregator: AggregatorOptions;
  commit: CommitPolicyOptions;
  /** The most trades handed to one batch. */
  maxBatchSize: number;
  /** The largest state record the producer may send, bytes. */
  maxStateBytes: number;
  service: string;
  metrics: Metrics;
  log: Logger;
  now?: () => number;
  /** Called once if the loop cannot go on (fenced by another instance, state unreadable...). */
  onFatal: (error: AppError) => void;
}

/** What one transaction writes, captured when it is started. */
interface TransactionWork {
  why: string;
  started: number;
  candles: OutgoingRecord[];
  letters: OutgoingRecord[];
  states: OutgoingRecord[];
  positions: ConsumedPosition[];
}

interface LoadedState {
  state: PartitionState | null;
  committedOffset: number | null;
}

/** One assigned trades partition: its aggregator, restored from the state topic. */
interface PartitionTask {
  partition: number;
  aggregator: CandleAggregator;
  stage: CandleStage;
  /** Offset of the next trade to aggregate; null until the first batch of a partition with no state. */
  nextOffset: number | null;
  /** State or offsets changed since the last commit. */
  dirty: boolean;
}

/** How long a restore waits for the state topic to catch up with a committed offset. */
const STATE_CATCH_UP_MS = 15_000;
const COMMIT_RETRIES = 5;
/** librdkafka's logical offset for "the beginning of the partition". */
const OFFSET_BEGINNING = -2;

/**
 * trades topic → candles topic, exactly once. Each trades partition has its own aggregator. Its
 * candles, its dead letters, a snapshot of its aggregator (to the state topic) and its consumer
 * offset are written in ONE Kafka transaction, so after a crash at any moment the committed
 * snapshot and the committed offset agree, and the candles of the trades after that offset were
 * never committed. A restart restores the snapshot, resumes at its offset and emits those candles
 * once. See docs/exactly-once-candles.md.
 */
export class CandleTransactions {
  private readonly tasks = new Map<number, PartitionTask>();
  private readonly policy: CommitPolicy;
  private readonly decoder = new TradeDecoder();
  private candles: OutgoingRecord[] = [];
  private letters: DeadLetter[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private consumer: Consumer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failed: AppError | null = null;
  /** The transaction being committed while the next batches are aggregated, and its failure. */
  private inFlight: Promise<void> | null = null;
  private failure: { error: unknown; why: string } | null = null;
  private stopped = false;
  private processedBefore = 0;
  private lastTradeAt: number | null = null;

  private constructor(private readonly options: CandleTransactionsOptions) {
    this.policy = new CommitPolicy(options.commit);
  }

  static async start(options: CandleTransactionsOptions): Promise<CandleTransactions> {
    const loop = new CandleTransactions(options);
    await loop.run();
    return loop;
  }

  /** Trades aggregated by this process (valid ones, refused included), across partitions. */
  get processed(): number {
    let sum = this.processedBefore;
    for (const task of this.tasks.values()) sum += task.stage.processed;
    return sum;
  }

  /** Wall time of the last trade aggregated, or null. */
  lastTradeTime(): number | null {
    return this.lastTradeAt;
  }

  /** Closes every window holding trades (end of a finite replay) and commits the candles. */
  flush(): Promise<void> {
    return this.serial(async () => {
      for (const task of this.tasks.values()) await this.flushTask(task, null);
      await this.commit('flush', true);
    });
  }

  /** Closes the windows of each partition that has had no trade for `idleMs`; see FLUSH_ON_IDLE_MS. */
  flushIfIdle(idleMs: number): Promise<void> {
    return this.serial(async () => {
      let flushed = false;
      for (const task of this.tasks.values()) flushed = (await this.flushTask(task, idleMs)) || flushed;
      if (flushed) await this.commit('flush');
    });
  }

  /** Commits what is pending, leaves the group (which commits nothing more) and stops. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.serial(() => this.commit('stop', true)).catch((error: unknown) =>
      this.options.log.warn(
        { err: describeError(error) },
        'final commit failed; the next start resumes from the last one',
      ),
    );
    this.stopped = true;
    await this.consumer?.disconnect();
  }

  private async run(): Promise<void> {
    const { kafka, tradesTopic, groupId, log } = this.options;
    const consumer = kafka.consumer(
      transactionalConsumerConfig({
        groupId,
        ...(this.options.instanceId === undefined ? {} : { instanceId: this.options.instanceId }),
        maxBatchSize: this.options.maxBatchSize,
        rebalance: (event, assignment) => this.rebalance(event.code, assignment),
      }),
    );
    this.consumer = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [tradesTopic] });
    } catch (error) {
      throw new AppError('KAFKA_UNAVAILABLE', `could not subscribe to ${tradesTopic}`, { cause: error });
    }
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.serial(() => this.handleBatch(payload)),
    });
    const every = Math.max(20, Math.floor(this.options.commit.intervalMs / 4));
    this.timer = setInterval(() => {
      if (!this.policy.due(this.now(), { caughtUp: false, holdsCandles: false })) return;
      this.serial(() => this.commit('interval')).catch((error: unknown) =>
        log.error({ err: describeError(error) }, 'interval commit failed'),
      );
    }, every);
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (this.failed !== null || this.stopped || batch.messages.length === 0) return;
    // A transaction that failed in the background rewinds everything first; this batch is then
    // dropped (the consumer was moved back to the committed offsets).
    if (this.failure !== null && !(await this.settleInFlight())) return;
    // Fetched before a rewind moved the consumer back (the seek marks it stale): its trades come
    // again from the committed offset.
    if (payload.isStale()) return;
    // Restored on assignment; again here after an aborted transaction forgot the partition.
    if (!this.tasks.has(batch.partition)) await this.restore(batch.partition, true);
    const task = this.tasks.get(batch.partition);
    if (task === undefined) return;
    const { metrics, tradesTopic } = this.options;
    const received: Received<Trade>[] = [];
    const now = this.now();
    let schemaLetters = 0;
    // Messages before the restored offset were aggregated before the crash already. Offsets grow
    // within a batch, so only a batch that starts below it needs looking at message by message.
    const from = task.nextOffset ?? 0;
    const skipping = Number(batch.firstOffset() ?? batch.lastOffset()) < from;
    for (const message of batch.messages) {
      if (skipping && Number(message.offset) < from) continue;
      const text = message.value === null ? null : message.value.toString('utf8');
      const trade = this.decoder.decode(text);
      const key = message.key === null || message.key === undefined ? null : message.key.toString('utf8');
      if (trade !== null) {
        received.push({
          value: trade,
          key,
          topic: tradesTopic,
          partition: batch.partition,
          offset: message.offset,
          timestamp: Number(message.timestamp),
        });
      } else {
        schemaLetters += 1;
        this.letters.push({
          v: 1,
          sourceTopic: tradesTopic,
          partition: batch.partition,
          offset: message.offset,
          key,
          value: text,
          reason: this.decoder.reason,
          service: this.options.service,
          time: now,
        });
      }
    }
    if (schemaLetters > 0) {
      metrics.deadLetters.inc({ topic: tradesTopic, cause: 'schema' }, schemaLetters);
      this.options.log.warn({ topic: tradesTopic, count: schemaLetters }, 'undecodable trades dead-lettered');
    }
    if (received.length > 0) {
      await task.stage.handle(received);
      this.lastTradeAt = now;
    }
    task.nextOffset = Number(batch.lastOffset()) + 1;
    task.dirty = true;
    this.policy.record(batch.messages.length, now);
    payload.resolveOffset(batch.lastOffset());
    const caughtUp = batch.offsetLag() === '0';
    if (this.policy.due(this.now(), { caughtUp, holdsCandles: this.candles.length > 0 })) await this.commit('batch');
  }

  /**
   * Builds the task of a partition assigned to this consumer: restores its aggregator from the
   * latest committed state. The group's committed offset, written by the same transaction, must
   * be where that state ends; when it is not (no offset yet, offsets moved by hand) or when the
   * consumer has run ahead of the state (`reposition`: an aborted transaction), the consumer is
   * moved to the state's offset. Trades below the state's offset are skipped in any case.
   */
  private async restore(partition: number, reposition: boolean): Promise<void> {
    await this.install(partition, await this.loadState(partition), reposition);
  }

  /** Reads a partition's committed offset and latest committed state (no change to the loop). */
  private async loadState(partition: number): Promise<LoadedState> {
    const { tradesTopic } = this.options;
    const consumer = this.requireConsumer();
    // With read_committed this waits for a transaction still committing offsets (a zombie's).
    const committed = await consumer.committed([{ topic: tradesTopic, partition }]);
    const committedOffset = toOffset(committed[0]?.offset);
    let state = await readPartitionState(this.options.state, tradesTopic, partition);
    const deadline = this.now() + STATE_CATCH_UP_MS;
    while (state !== null && committedOffset !== null && state.nextOffset < committedOffset) {
      // The offsets were committed by a transaction whose state record is not readable yet.
      if (this.now() > deadline) {
        throw new AppError(
          'INTERNAL',
          `the state of ${tradesTopic}[${partition}] ends at offset ${state.nextOffset} but the group committed ${committedOffset}`,
          { retryable: false },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      state = await readPartitionState(this.options.state, tradesTopic, partition);
    }
    return { state, committedOffset };
  }

  private install(partition: number, loaded: LoadedState, reposition: boolean): Promise<void> {
    if (this.tasks.has(partition) || this.failed !== null || this.stopped) return Promise.resolve();
    const { tradesTopic, log, metrics } = this.options;
    const { state, committedOffset } = loaded;
    const consumer = this.requireConsumer();
    this.tasks.set(partition, this.newTask(partition, state));
    metrics.stateRestores.inc({ outcome: state === null ? 'empty' : 'snapshot' });
    if (state === null) {
      if (committedOffset !== null)
        log.warn(
          { partition, committedOffset },
          'no aggregator state for this partition: starting empty at the committed offset (first run with exactly-once, or the state topic was deleted)',
        );
      if (reposition)
        consumer.seek({ topic: tradesTopic, partition, offset: String(committedOffset ?? OFFSET_BEGINNING) });
      return Promise.resolve();
    }
    log.info(
      { partition, nextOffset: state.nextOffset, committedOffset, savedAt: new Date(state.savedAt).toISOString() },
      'restored the aggregator of a partition from its last committed state',
    );
    if (reposition || committedOffset !== state.nextOffset) {
      if (!reposition)
        log.warn(
          { partition, nextOffset: state.nextOffset, committedOffset },
          'the committed offset is not where the saved state ends: moving the consumer there',
        );
      consumer.seek({ topic: tradesTopic, partition, offset: String(state.nextOffset) });
    }
    return Promise.resolve();
  }

  private newTask(partition: number, state: PartitionState | null): PartitionTask {
    const aggregator =
      state === null
        ? new CandleAggregator(this.options.aggregator)
        : CandleAggregator.restore(this.options.aggregator, state.aggregator);
    const stage = new CandleStage(
      aggregator,
      {
        publishCandles: (candles: Candle[]) => {
          for (const candle of candles) this.candles.push({ key: candle.pair, value: JSON.stringify(candle) });
          return Promise.resolve();
        },
        publishDeadLetters: (letters: DeadLetter[]) => {
          this.letters.push(...letters);
          return Promise.resolve();
        },
      },
      this.options.metrics,
      this.options.log,
      { service: this.options.service, now: () => this.now() },
    );
    return { partition, aggregator, stage, nextOffset: state?.nextOffset ?? null, dirty: false };
  }

  private async flushTask(task: PartitionTask, idleMs: number | null): Promise<boolean> {
    if (!task.aggregator.hasOpenWindows()) return false;
    const before = this.candles.length;
    if (idleMs === null) await task.stage.flush();
    else await task.stage.flushIfIdle(idleMs);
    if (this.candles.length === before) return false;
    task.dirty = true;
    this.policy.record(0, this.now());
    return true;
  }

  /**
   * Writes everything pending in one transaction: candles, dead letters, the state of every
   * partition that changed, and their offsets. What goes in is captured at once (the snapshots
   * are taken now, at the offsets reached now); the transaction then runs while the next batches
   * are aggregated, and the next commit waits for it. `wait` waits for this one too. On an
   * abortable failure the transaction is aborted and every partition goes back to its last
   * committed state (and so does the work done meanwhile).
   */
  private async commit(why: string, wait = false): Promise<void> {
    if (!(await this.settleInFlight())) return;
    const dirty = [...this.tasks.values()].filter((task) => task.dirty);
    if (dirty.length === 0 && this.candles.length === 0 && this.letters.length === 0) {
      this.policy.reset();
      return;
    }
    const { tradesTopic } = this.options;
    const started = this.now();
    const states: OutgoingRecord[] = [];
    const positions: ConsumedPosition[] = [];
    for (const task of dirty) {
      if (task.nextOffset === null) continue;
      const state: PartitionState = {
        v: 1,
        topic: tradesTopic,
        partition: task.partition,
        nextOffset: task.nextOffset,
        savedAt: started,
        aggregator: task.aggregator.snapshot(),
      };
      const value = JSON.stringify(state);
      if (Buffer.byteLength(value) > this.options.maxStateBytes) {
        this.fail(
          new AppError(
            'INTERNAL',
            `the aggregator state of ${tradesTopic}[${task.partition}] is ${Buffer.byteLength(value)} bytes, over the ${this.options.maxStateBytes}-byte limit (fewer pairs per partition, or a shorter MAX_LATENESS_MS)`,
            { retryable: false },
          ),
        );
        return;
      }
      states.push({
        key: stateKey(tradesTopic, task.partition),
        value,
        partition: statePartition(this.options.state, task.partition),
      });
      positions.push({ topic: tradesTopic, partition: task.partition, offset: String(task.nextOffset) });
    }
    const work: TransactionWork = {
      why,
      started,
      candles: this.candles,
      letters: this.letters.map((letter) => ({ key: letter.key, value: JSON.stringify(letter) })),
      states,
      positions,
    };
    this.candles = [];
    this.letters = [];
    for (const task of dirty) task.dirty = false;
    this.policy.reset();
    this.inFlight = this.runTransaction(work).catch((error: unknown) => {
      this.failure = { error, why };
      // Handled now, not at the next batch: there may be none (the end of a replay), and an open
      // transaction left alone is aborted by the broker after its timeout, fencing this producer.
      this.serial(() => this.settleInFlight()).catch(() => undefined);
    });
    if (wait) await this.settleInFlight();
  }

  /** Waits for the transaction in flight; false if it failed (and the loop was rewound or stopped). */
  private async settleInFlight(): Promise<boolean> {
    if (this.inFlight !== null) {
      await this.inFlight;
      this.inFlight = null;
    }
    if (this.failure !== null) {
      const { error, why } = this.failure;
      this.failure = null;
      await this.failTransaction(error, why);
      return false;
    }
    return this.failed === null;
  }

  private async runTransaction(work: TransactionWork): Promise<void> {
    const { producer, metrics, log, tradesTopic } = this.options;
    await producer.begin();
    void producer.send(this.options.candlesTopic, work.candles);
    void producer.send(deadLetterTopic(tradesTopic), work.letters);
    void producer.send(this.options.state.stateTopic, work.states);
    await producer.sendOffsets(this.requireConsumer(), work.positions);
    await this.commitWithRetry();
    metrics.transactions.inc({ outcome: 'committed' });
    metrics.commitSeconds.observe((this.now() - work.started) / 1000);
    log.debug(
      { why: work.why, candles: work.candles.length, letters: work.letters.length, partitions: work.positions.length },
      'committed',
    );
  }

  private async commitWithRetry(): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.options.producer.commit();
        return;
      } catch (error) {
        if (transactionFailure(error) !== 'retriable' || attempt >= COMMIT_RETRIES) throw error;
        this.options.log.warn({ err: describeError(error), attempt }, 'commit failed, retrying');
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  private async failTransaction(error: unknown, why: string): Promise<void> {
    const { log, metrics, producer } = this.options;
    const kind = transactionFailure(error);
    if (kind !== 'fatal') {
      try {
        await producer.abort();
        metrics.transactions.inc({ outcome: 'aborted' });
        log.warn(
          { err: describeError(error), why },
          'transaction aborted: every partition goes back to its last committed state',
        );
        await this.rewind();
        return;
      } catch (abortError) {
        error = abortError;
      }
    }
    this.fail(AppError.from(error, 'KAFKA_UNAVAILABLE', 'the candle transaction failed'));
  }

  /** Forgets the uncommitted work: each partition goes back to its last committed state and offset. */
  private async rewind(): Promise<void> {
    const partitions = [...this.tasks.keys()];
    for (const task of this.tasks.values()) this.processedBefore += task.stage.processed;
    this.tasks.clear();
    this.candles = [];
    this.letters = [];
    this.policy.reset();
    const loaded = await Promise.all(partitions.map((partition) => this.loadState(partition)));
    for (const [i, partition] of partitions.entries()) {
      const state = loaded[i];
      if (state !== undefined) await this.install(partition, state, true);
    }
  }

  private fail(error: AppError): void {
    if (this.failed !== null) return;
    this.failed = error;
    if (this.timer !== undefined) clearInterval(this.timer);
    try {
      // Fetch nothing more: the service stops, and a restart resumes from what was committed.
      this.consumer?.pause([{ topic: this.options.tradesTopic }]);
    } catch {
      // not running any more
    }
    this.options.log.error({ err: describeError(error) }, 'the exactly-once candle loop cannot go on');
    this.options.onFatal(error);
  }

  private async rebalance(code: number, assignment: { topic: string; partition: number }[]): Promise<void> {
    if (code === REBALANCE.assign) {
      // Not awaited: the assignment must take effect first. The restores are queued ahead of
      // any batch of these partitions, which runs after them.
      // The partitions' states are read at once, in parallel, and installed in order.
      for (const { partition } of assignment) {
        const loading = this.loadState(partition);
        loading.catch(() => undefined);
        this.serial(async () => this.install(partition, await loading, false)).catch(() => undefined);
      }
      return;
    }
    if (code !== REBALANCE.revoke) return;
    // Commit the work on the partitions leaving us; their next owner restores this state.
    await this.serial(async () => {
      await this.commit('revoke', true);
      for (const { partition } of assignment) {
        const task = this.tasks.get(partition);
        if (task === undefined) continue;
        this.processedBefore += task.stage.processed;
        this.tasks.delete(partition);
      }
    }).catch((error: unknown) => this.options.log.warn({ err: describeError(error) }, 'commit on revocation failed'));
  }

  private requireConsumer(): Consumer {
    if (this.consumer === undefined) throw new AppError('INTERNAL', 'the consumer is not started');
    return this.consumer;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run.catch((error: unknown) => {
      // An error escaping a step (restore, state, bug) leaves the state unknown: stop for a restart.
      this.fail(AppError.from(error));
      throw error;
    });
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function toOffset(offset: string | null | undefined): number | null {
  if (offset === null || offset === undefined) return null;
  const value = Number(offset);
  return Number.isSafeInteger(value) && value >= 0 ? value : null;
}
