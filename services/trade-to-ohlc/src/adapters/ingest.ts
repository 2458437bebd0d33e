import type { Logger, Trade } from '@crypto-predict/core';
import type { Metrics } from '../metrics.js';
import { paceReplay, systemClock, type Clock } from './replay/replay-pacer.js';
import type { TradeSource } from './replay/trade-source.js';

export interface IngestOptions {
  /** What the trades are, for logs and metrics: e.g. replay-expanded, replay-ticks, live. */
  label: string;
  source: TradeSource;
  /** Sends one batch to the trades topic; resolves when the broker has it. */
  send: (trades: Trade[]) => Promise<void>;
  batchSize: number;
  /** Times real time; 0 = as fast as possible. */
  speed: number;
  progressIntervalMs: number;
  /** Batches in flight at once; order is kept (the producer is idempotent). */
  inFlight?: number;
  /** Extra counters for the progress and "replay finished" logs (expansion stats, bad rows). */
  details?: () => Record<string, unknown>;
  log: Logger;
  metrics: Metrics;
  clock?: Clock;
  signal?: AbortSignal;
}

export interface IngestSummary {
  label: string;
  sent: number;
  firstTradeTime: number | null;
  lastTradeTime: number | null;
  wallMs: number;
  stopped: boolean;
}

/**
 * Pumps a trade source into the trades topic in batches, paced at the replay speed, logging
 * progress (trades sent, replay clock) every few seconds. Resolves when the source ends or the
 * signal aborts; a send failure rejects.
 */
export async function runIngest(options: IngestOptions): Promise<IngestSummary> {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const inFlightLimit = Math.max(1, options.inFlight ?? 4);
  const inFlight: Promise<void>[] = [];
  let sent = 0;
  let firstTradeTime: number | null = null;
  let lastTradeTime: number | null = null;
  let lastProgress = started;
  let stopped = false;

  const progress = (): Record<string, unknown> => ({
    source: options.label,
    sent,
    replayClock: lastTradeTime === null ? null : new Date(lastTradeTime).toISOString(),
    tradesPerSecond: Math.round((sent * 1000) / Math.max(1, clock.now() - started)),
    ...options.details?.(),
  });

  const sendBatch = async (batch: Trade[]): Promise<void> => {
    const pending = options.send(batch).then(() => {
      sent += batch.length;
      options.metrics.tradesSent.inc({ source: options.label }, batch.length);
    });
    // Handled here so a failure waiting its turn is not reported as unhandled; awaited below.
    pending.catch(() => undefined);
    inFlight.push(pending);
    if (inFlight.length >= inFlightLimit) await inFlight.shift();
  };

  try {
    for await (const batch of paceReplay(options.source, options.speed, clock, options.signal)) {
      if (options.signal?.aborted === true) break;
      for (let at = 0; at < batch.length; at += options.batchSize) {
        await sendBatch(batch.slice(at, at + options.batchSize));
      }
      const last = batch[batch.length - 1];
      if (last !== undefined) {
        firstTradeTime ??= batch[0]?.time ?? last.time;
        lastTradeTime = last.time;
        options.metrics.replayClock.set({ source: options.label }, last.time);
      }
      if (clock.now() - lastProgress >= options.progressIntervalMs) {
        lastProgress = clock.now();
        options.log.info(progress(), 'ingest progress');
      }
    }
  } catch (error) {
    if (!(options.signal?.aborted === true && error instanceof Error && error.name === 'AbortError')) {
      await Promise.allSettled(inFlight);
      throw error;
    }
  } finally {
    stopped = options.signal?.aborted === true;
  }
  await Promise.all(inFlight);
  const summary: IngestSummary = {
    label: options.label,
    sent,
    firstTradeTime,
    lastTradeTime,
    wallMs: clock.now() - started,
    stopped,
  };
  options.log.info(
    {
      ...progress(),
      from: firstTradeTime === null ? null : new Date(firstTradeTime).toISOString(),
      to: lastTradeTime === null ? null : new Date(lastTradeTime).toISOString(),
      wallMs: summary.wallMs,
      stopped,
    },
    stopped ? 'ingest stopped' : 'replay finished',
  );
  return summary;
}
