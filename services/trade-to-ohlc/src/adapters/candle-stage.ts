import type { Candle, DeadLetter, Logger, Received, Trade } from '@crypto-predict/core';
import type { CandleAggregator } from '../domain/candle-aggregator.js';
import type { Metrics } from '../metrics.js';

/** Where the stage's output goes: the candles topic and the trades dead-letter topic. */
export interface CandleOutput {
  publishCandles(candles: Candle[]): Promise<void>;
  publishDeadLetters(letters: DeadLetter[]): Promise<void>;
}

interface PendingOutput {
  batchKey: string;
  candles: Candle[];
  letters: DeadLetter[];
}

/**
 * Turns consumed trade batches into candles: feeds the aggregator, publishes what it emits and
 * dead-letters the trades it refuses, with the reason. The consumer commits a batch's offsets
 * only after `handle` resolves, i.e. after the candles are durable.
 *
 * If publishing fails, the consumer retries `handle` with the same batch; the trades are then
 * NOT fed to the aggregator again (that would count them twice): the output computed the first
 * time is published instead. All calls are serialised, so an idle flush never interleaves.
 */
export class CandleStage {
  private pending: PendingOutput | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private lastTradeAt: number | null = null;
  private readonly createdAt: number;
  /** Trades handled so far by this process (valid ones, refused included). */
  processed = 0;

  constructor(
    private readonly aggregator: CandleAggregator,
    private readonly output: CandleOutput,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly options: { service: string; now?: () => number },
  ) {
    this.createdAt = this.now();
  }

  readonly handle = (batch: Received<Trade>[]): Promise<void> => this.serialise(() => this.handleBatch(batch));

  /**
   * Closes every window holding trades if no trade has come for `idleMs` (counted from the
   * stage's creation before its first trade: an aggregator restored with open windows is flushed
   * too); see FLUSH_ON_IDLE_MS.
   */
  flushIfIdle(idleMs: number): Promise<void> {
    return this.serialise(async () => {
      const since = this.lastTradeAt ?? this.createdAt;
      if (this.now() - since < idleMs || !this.aggregator.hasOpenWindows()) return;
      await this.flushNow('idle');
    });
  }

  /** Closes every window holding trades now (end of a finite replay). */
  flush(): Promise<void> {
    return this.serialise(() => this.flushNow('final'));
  }

  /** Wall time of the last trade handled, or null. */
  lastTradeTime(): number | null {
    return this.lastTradeAt;
  }

  private async handleBatch(batch: Received<Trade>[]): Promise<void> {
    const first = batch[0];
    const last = batch[batch.length - 1];
    if (first === undefined || last === undefined) return;
    const batchKey = `${first.topic}/${first.partition}/${first.offset}-${last.offset}`;
    if (this.pending !== null && this.pending.batchKey !== batchKey) {
      // A batch whose output could not be published was given up by the consumer: its trades
      // are in the aggregator already, so its output still has to go out, before this one's.
      await this.publish(this.pending);
    }
    if (this.pending === null) this.pending = this.aggregate(batchKey, batch);
    await this.publish(this.pending);
    this.pending = null;
  }

  private aggregate(batchKey: string, batch: Received<Trade>[]): PendingOutput {
    const candles: Candle[] = [];
    const letters: DeadLetter[] = [];
    // Counted per pair once per batch: a labelled counter per trade costs more than aggregating it.
    const perPair = new Map<string, number>();
    for (const received of batch) {
      const trade = received.value;
      this.processed += 1;
      perPair.set(trade.pair, (perPair.get(trade.pair) ?? 0) + 1);
      const outcome = this.aggregator.add(trade, received.timestamp);
      if (outcome.status === 'revised') this.metrics.lateTrades.inc({ outcome: 'revised' });
      if (outcome.status === 'rejected') {
        this.metrics.rejectedTrades.inc({ reason: outcome.reason });
        if (outcome.reason !== 'future') this.metrics.lateTrades.inc({ outcome: 'rejected' });
        letters.push({
          v: 1,
          sourceTopic: received.topic,
          partition: received.partition,
          offset: received.offset,
          key: received.key,
          value: JSON.stringify(trade),
          reason: `refused by the candle aggregator (${outcome.reason}): ${outcome.message}`,
          service: this.options.service,
          time: this.now(),
        });
      }
      for (const candle of outcome.candles) candles.push(candle);
    }
    for (const [pair, count] of perPair) {
      this.metrics.tradesIn.inc({ pair }, count);
      const watermark = this.aggregator.watermark(pair);
      if (watermark !== undefined) this.metrics.watermark.set({ pair }, watermark);
    }
    this.lastTradeAt = this.now();
    return { batchKey, candles, letters };
  }

  private async flushNow(why: 'idle' | 'final'): Promise<void> {
    const candles = this.aggregator.flush();
    if (candles.length === 0) return;
    if (why === 'idle') this.metrics.idleFlushes.inc();
    await this.publish({ batchKey: `flush-${why}`, candles, letters: [] });
    for (const pair of this.aggregator.pairNames()) {
      const watermark = this.aggregator.watermark(pair);
      if (watermark !== undefined) this.metrics.watermark.set({ pair }, watermark);
    }
    this.log.info({ why, candles: candles.length }, 'flushed open windows');
  }

  private async publish(output: PendingOutput): Promise<void> {
    if (output.candles.length > 0) await this.output.publishCandles(output.candles);
    if (output.letters.length > 0) {
      await this.output.publishDeadLetters(output.letters);
      this.log.warn(
        { count: output.letters.length, reason: output.letters[0]?.reason },
        'trades refused by the aggregator, dead-lettered',
      );
    }
    for (const candle of output.candles) {
      const kind = candle.revision > 0 ? 'revision' : candle.empty ? 'empty' : 'final';
      this.metrics.candlesOut.inc({ timeframe: candle.timeframe, kind });
    }
    for (const letter of output.letters) this.metrics.deadLetters.inc({ topic: letter.sourceTopic, cause: 'refused' });
  }

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
