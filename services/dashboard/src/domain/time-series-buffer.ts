/**
 * What became of one item offered to a buffer: stored (new), replaced an older version of itself,
 * kept the version already held, or dropped because it lies before the retained span.
 */
export type UpsertOutcome = 'added' | 'replaced' | 'kept' | 'too-old';

export interface TimeSeriesBufferOptions<T> {
  /** Event time of an item, epoch ms. */
  time: (item: T) => number;
  /** Identity: an item with the key of a held one is a new version of it. */
  key: (item: T) => string;
  /** Event time kept behind the newest time seen. */
  retentionMs: number;
  /** Hard cap on items, whatever their times (a guard against a flood of distinct keys). */
  maxItems: number;
  /** Whether `incoming` should replace `held` (same key). Default: always (last write wins). */
  prefer?: (held: T, incoming: T) => boolean;
}

interface Entry<T> {
  time: number;
  key: string;
  value: T;
}

/**
 * A bounded, time-ordered history of items with identities. Items usually arrive in time order
 * (appended in O(1)); late ones are inserted in place. Everything older than the newest time seen
 * minus the retention is dropped, and the oldest items go first when the count cap is reached, so
 * memory stays bounded by both event time and count. The clock is the items' own event time,
 * never the wall clock, so a replay of any day behaves as live.
 */
export class TimeSeriesBuffer<T> {
  private readonly entries: Entry<T>[] = [];
  private readonly byKey = new Map<string, Entry<T>>();
  private newest = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: TimeSeriesBufferOptions<T>) {
    if (!(options.retentionMs > 0)) throw new RangeError('retentionMs must be positive');
    if (!(options.maxItems >= 1)) throw new RangeError('maxItems must be at least 1');
  }

  get size(): number {
    return this.entries.length;
  }

  /** The newest event time seen (also of items since dropped); -Infinity before the first. */
  get newestTime(): number {
    return this.newest;
  }

  /** Items in time order (then key order), oldest first. */
  values(): T[] {
    return this.entries.map((entry) => entry.value);
  }

  /** Items with `from ≤ time ≤ to`, in time order. */
  between(from: number, to: number): T[] {
    const start = this.lowerBound(from, '');
    const out: T[] = [];
    for (let index = start; index < this.entries.length; index += 1) {
      const entry = this.entries[index];
      if (entry === undefined || entry.time > to) break;
      out.push(entry.value);
    }
    return out;
  }

  get(key: string): T | undefined {
    return this.byKey.get(key)?.value;
  }

  last(): T | undefined {
    return this.entries[this.entries.length - 1]?.value;
  }

  upsert(item: T): UpsertOutcome {
    const time = this.options.time(item);
    const key = this.options.key(item);
    if (time < this.cutoff()) return 'too-old';
    const held = this.byKey.get(key);
    let outcome: UpsertOutcome = 'added';
    if (held !== undefined) {
      const prefer = this.options.prefer ?? (() => true);
      if (!prefer(held.value, item)) return 'kept';
      this.removeEntry(held);
      outcome = 'replaced';
    }
    const entry: Entry<T> = { time, key, value: item };
    const tail = this.entries[this.entries.length - 1];
    if (tail === undefined || compare(tail, entry) < 0) this.entries.push(entry);
    else this.entries.splice(this.lowerBound(time, key), 0, entry);
    this.byKey.set(key, entry);
    if (time > this.newest) this.newest = time;
    this.trim();
    return outcome;
  }

  /**
   * Advances the clock to `time` if it is newer (another series of the same pair moved on) and
   * drops what fell out of the retained span.
   */
  advanceTo(time: number): void {
    if (time > this.newest) {
      this.newest = time;
      this.trim();
    }
  }

  /** Items before this time are not kept. */
  cutoff(): number {
    return this.newest - this.options.retentionMs;
  }

  private trim(): void {
    const cutoff = this.cutoff();
    let drop = 0;
    while (drop < this.entries.length) {
      const entry = this.entries[drop];
      if (entry === undefined || entry.time >= cutoff) break;
      drop += 1;
    }
    drop = Math.max(drop, this.entries.length - this.options.maxItems);
    if (drop <= 0) return;
    for (const entry of this.entries.splice(0, drop)) this.byKey.delete(entry.key);
  }

  private removeEntry(entry: Entry<T>): void {
    const index = this.lowerBound(entry.time, entry.key);
    if (this.entries[index] === entry) this.entries.splice(index, 1);
    this.byKey.delete(entry.key);
  }

  /** The first index whose entry is not before (time, key). */
  private lowerBound(time: number, key: string): number {
    let low = 0;
    let high = this.entries.length;
    const probe = { time, key };
    while (low < high) {
      const middle = (low + high) >>> 1;
      const entry = this.entries[middle];
      if (entry !== undefined && compare(entry, probe) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

function compare(a: { time: number; key: string }, b: { time: number; key: string }): number {
  if (a.time !== b.time) return a.time - b.time;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
