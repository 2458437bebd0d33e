import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Trade } from '@crypto-predict/core';
import type { TradeSource } from './trade-source.js';

/** Wall time, injectable so pacing is tested without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleepFor(ms, undefined, signal === undefined ? undefined : { signal }),
};

/** Trades due within this many ms of now go out together rather than after one more sleep. */
const TICK_MS = 20;

/**
 * Replays a source at `speed` times real time (60: one minute of trades per second), measured
 * from the first trade; 0 passes the source through as fast as it can be read. Batches are
 * split where a wait is needed, so each batch leaves when its trades are due.
 */
export async function* paceReplay(
  source: TradeSource,
  speed: number,
  clock: Clock = systemClock,
  signal?: AbortSignal,
): TradeSource {
  if (!(speed > 0)) {
    yield* source;
    return;
  }
  let anchor: { wall: number; event: number } | null = null;
  for await (const batch of source) {
    let pending: Trade[] = [];
    for (const trade of batch) {
      anchor ??= { wall: clock.now(), event: trade.time };
      const due = anchor.wall + (trade.time - anchor.event) / speed;
      const wait = due - clock.now();
      if (wait > TICK_MS) {
        if (pending.length > 0) {
          yield pending;
          pending = [];
        }
        await clock.sleep(due - clock.now(), signal);
      }
      pending.push(trade);
    }
    if (pending.length > 0) yield pending;
  }
}
