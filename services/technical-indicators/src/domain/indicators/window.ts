import type { JsonObject } from './json.js';

/**
 * The last `capacity` values of a series, in a circular buffer whose physical layout matches
 * TA-Lib's CIRCBUF (the first value goes to slot 0), so indicators that sum the buffer in slot
 * order (CCI) round exactly as TA-Lib does. `push(x, true)` overwrites the newest value instead of
 * appending, which is how an indicator replaces the bar still being revised.
 */
export class Window {
  private readonly slots: Float64Array;
  /** Values pushed, counting replaced ones once. */
  private pushed = 0;
  /** The slot of the newest value (`(pushed - 1) mod capacity`, kept so reads need no division). */
  private newest = -1;
  /** The value the last append evicted, restored when that append is replaced. */
  private evicted = Number.NaN;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`window capacity must be >= 1, got ${capacity}`);
    this.slots = new Float64Array(capacity);
  }

  /**
   * Appends x, or overwrites the newest value when `replace` is set. Returns the value that fell
   * out of the window (NaN while the window was not yet full); a replace returns the same value
   * the replaced append returned.
   */
  push(x: number, replace = false): number {
    if (replace && this.pushed > 0) {
      this.slots[this.newest] = x;
      return this.evicted;
    }
    const slot = this.newest + 1 === this.capacity ? 0 : this.newest + 1;
    this.evicted = this.pushed >= this.capacity ? (this.slots[slot] ?? Number.NaN) : Number.NaN;
    this.slots[slot] = x;
    this.newest = slot;
    this.pushed += 1;
    return this.evicted;
  }

  get size(): number {
    return Math.min(this.pushed, this.capacity);
  }

  get full(): boolean {
    return this.pushed >= this.capacity;
  }

  /** Values pushed so far (the absolute index of the next value). */
  get count(): number {
    return this.pushed;
  }

  /** The value `age` steps back: 0 is the newest (age < size). */
  fromNewest(age: number): number {
    const slot = this.newest - age;
    return this.slots[slot < 0 ? slot + this.capacity : slot] ?? Number.NaN;
  }

  /** The oldest value held. */
  oldest(): number {
    return this.fromNewest(this.size - 1);
  }

  /** The value pushed at absolute index `index` (it must still be in the window). */
  at(index: number): number {
    return this.slots[index % this.capacity] ?? Number.NaN;
  }

  /** Slot `slot` in physical order (TA-Lib's circular buffer order). */
  slot(slot: number): number {
    return this.slots[slot] ?? Number.NaN;
  }

  /** Sums the held values from oldest to newest, the order TA-Lib primes its running totals in. */
  sumOldestFirst(count = this.size): number {
    let total = 0;
    for (let age = count - 1; age >= 0; age -= 1) total += this.fromNewest(age);
    return total;
  }

  toJSON(): JsonObject {
    return {
      capacity: this.capacity,
      pushed: this.pushed,
      evicted: encodeNumber(this.evicted),
      slots: Array.from(this.slots, encodeNumber),
    };
  }

  restore(state: JsonObject): void {
    if (state.capacity !== this.capacity)
      throw new RangeError(`window state has capacity ${JSON.stringify(state.capacity)}, expected ${this.capacity}`);
    const slots = state.slots;
    if (!Array.isArray(slots) || slots.length !== this.capacity)
      throw new RangeError('window state has the wrong number of slots');
    slots.forEach((value, index) => {
      this.slots[index] = decodeNumber(value);
    });
    this.pushed = Number(state.pushed);
    this.newest = this.pushed === 0 ? -1 : (this.pushed - 1) % this.capacity;
    this.evicted = decodeNumber(state.evicted ?? null);
  }
}

/** JSON has no NaN or infinities; they travel as strings. */
export function encodeNumber(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

export function decodeNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN' || value === null) return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  throw new RangeError(`not a number in indicator state: ${JSON.stringify(value)}`);
}
