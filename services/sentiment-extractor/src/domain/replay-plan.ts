import type { NewsItem } from '@crypto-predict/core';

export interface ReplayWindow {
  /** Inclusive lower bound on publishedAt, ms. */
  from?: number | undefined;
  /** Exclusive upper bound on publishedAt, ms. */
  to?: number | undefined;
}

/** The items of a recorded file inside the window, in event-time order (stable for ties). */
export function replayItems(items: readonly NewsItem[], window: ReplayWindow): NewsItem[] {
  return items
    .map((item, index) => ({ item, index }))
    .filter(
      ({ item }) =>
        (window.from === undefined || item.publishedAt >= window.from) &&
        (window.to === undefined || item.publishedAt < window.to),
    )
    .sort((a, b) => a.item.publishedAt - b.item.publishedAt || a.index - b.index)
    .map(({ item }) => item);
}

/**
 * When an item is due in a paced replay: event-time distance from the first item divided by the
 * speed factor, counted from the wall-clock start. Speed 0 means as fast as possible (always due).
 */
export function dueAt(firstEventTime: number, eventTime: number, speed: number, wallStart: number): number {
  if (speed <= 0) return wallStart;
  return wallStart + (eventTime - firstEventTime) / speed;
}

/** Consecutive items due within `toleranceMs` of each other go out as one batch. */
export function replayBatches(
  items: readonly NewsItem[],
  speed: number,
  maxBatch: number,
  toleranceMs = 50,
): NewsItem[][] {
  const batches: NewsItem[][] = [];
  let current: NewsItem[] = [];
  let batchStart = 0;
  const first = items[0]?.publishedAt ?? 0;
  for (const item of items) {
    const due = dueAt(first, item.publishedAt, speed, 0);
    if (current.length > 0 && (current.length >= maxBatch || due - batchStart > toleranceMs)) {
      batches.push(current);
      current = [];
    }
    if (current.length === 0) batchStart = due;
    current.push(item);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
