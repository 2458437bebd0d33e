import { AppError } from '@crypto-predict/core';
import { canonicalJson, isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { decodeNumber, encodeNumber, Window } from './window.js';

/** An indicator's output: one number, or named numbers for multi-line indicators (MACD, bands). */
export type IndicatorOutput = number | { readonly [line: string]: number };

/** Parameters an indicator is built from; they are part of its state's identity. */
export type IndicatorParams = Readonly<Record<string, number | string>>;

/** Thrown by `valueOrThrow()` for callers that must have a value while the indicator warms up. */
export class NotWarmedUpError extends AppError {
  constructor(kind: string, seen: number, lookback: number) {
    super('INTERNAL', `${kind} has no value yet: it has seen ${seen} bars and first outputs after ${lookback}`, {
      retryable: false,
      details: { indicator: kind, seen, lookback },
    });
    this.name = 'NotWarmedUpError';
  }
}

/** The part of an indicator its parent needs to snapshot it. */
interface Snapshottable {
  toJSON(): JsonObject;
  restore(state: JsonObject): void;
}

type Scalars = Record<string, number>;
type Copy = (target: Scalars, source: Scalars) => void;

const copiers = new Map<string, Copy>();

/**
 * A copier specialised to one set of keys. Saving state runs on every bar of every indicator, and
 * a generated `t.a = s.a; t.b = s.b` is several times faster than Object.assign on this path.
 */
function copierFor(keys: readonly string[]): Copy {
  const signature = keys.join(',');
  let copy = copiers.get(signature);
  if (copy === undefined) {
    if (!keys.every((key) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)))
      throw new RangeError(`scalar names must be identifiers: ${signature}`);
    // Generated code on purpose: the keys are checked identifiers, and the default feature set
    // runs ~15% faster than with a loop over the keys (measured with src/cli/measure-engine.ts).
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    copy = new Function('t', 's', keys.map((key) => `t.${key} = s.${key};`).join('\n')) as Copy;
    copiers.set(signature, copy);
  }
  return copy;
}

/**
 * A streaming indicator. `update` takes a new closed bar, `replace` a revision of the last bar;
 * both are O(1) (O(period) only where the maths needs the whole window, e.g. CCI) and return
 * `undefined` until the indicator is warm.
 *
 * Replace is exact: the indicator keeps its state from before the last bar and recomputes from
 * it, so `update(a); replace(b)` is bit-for-bit `update(b)`. Subclasses keep their state in
 * `scalars()`, `window()` and `child()` so that the base class can save, restore and snapshot it.
 *
 * Warm-up follows TA-Lib: an indicator with lookback L returns its first value on input L + 1
 * (index L), and `unstablePeriod` (where TA-Lib has one) adds bars whose values are suppressed.
 */
export abstract class Indicator<In, Out extends IndicatorOutput> implements Snapshottable {
  abstract readonly kind: string;
  abstract readonly params: IndicatorParams;
  /** Inputs consumed before the first value (TA-Lib's lookback, including any unstable period). */
  abstract readonly lookback: number;

  private bars = 0;
  private current: Out | undefined = undefined;
  private previous: Out | undefined = undefined;
  private readonly scalarStates: [live: Scalars, saved: Scalars, copy: Copy][] = [];
  private readonly windows: Window[] = [];
  private readonly children: Snapshottable[] = [];

  /** Adds a new closed bar. */
  update(input: In): Out | undefined {
    return this.step(input, false);
  }

  /** Replaces the last bar with a revision of it; before any bar, it is an update. */
  replace(input: In): Out | undefined {
    return this.step(input, this.bars > 0);
  }

  /** The latest value, or undefined while warming up. */
  get value(): Out | undefined {
    return this.current;
  }

  get isWarm(): boolean {
    return this.current !== undefined;
  }

  /** Bars seen so far. */
  get count(): number {
    return this.bars;
  }

  valueOrThrow(): Out {
    if (this.current === undefined) throw new NotWarmedUpError(this.kind, this.bars, this.lookback);
    return this.current;
  }

  /**
   * Computes the output of the bar just counted (`count` already includes it). `replace` says the
   * bar revises the previous call's bar: pass it on to windows and child indicators.
   * Values returned while `count <= lookback` are discarded (TA-Lib's warm-up and unstable period).
   */
  protected abstract compute(input: In, replace: boolean): Out | undefined;

  /** Declares scalar state (save/restore/snapshot are handled here). Call in field initialisers. */
  protected scalars<S extends Scalars>(initial: S): S {
    const live = { ...initial };
    this.scalarStates.push([live, { ...initial }, copierFor(Object.keys(initial))]);
    return live;
  }

  protected window(capacity: number): Window {
    const window = new Window(capacity);
    this.windows.push(window);
    return window;
  }

  protected child<C extends Snapshottable>(indicator: C): C {
    this.children.push(indicator);
    return indicator;
  }

  /** Feeds a child indicator, as an update or as a replace of its last input. */
  protected static feed<I, O extends IndicatorOutput>(
    child: Indicator<I, O>,
    input: I,
    replace: boolean,
  ): O | undefined {
    return child.step(input, replace && child.bars > 0);
  }

  private step(input: In, replace: boolean): Out | undefined {
    const states = this.scalarStates;
    if (replace) {
      for (let i = 0; i < states.length; i += 1) {
        const state = states[i];
        if (state !== undefined) state[2](state[0], state[1]);
      }
      this.bars -= 1;
      this.current = this.previous;
    } else {
      for (let i = 0; i < states.length; i += 1) {
        const state = states[i];
        if (state !== undefined) state[2](state[1], state[0]);
      }
      this.previous = this.current;
    }
    this.bars += 1;
    const output = this.compute(input, replace);
    this.current = this.bars > this.lookback ? output : undefined;
    return this.current;
  }

  toJSON(): JsonObject {
    return {
      kind: this.kind,
      params: { ...this.params },
      bars: this.bars,
      current: encodeOutput(this.current),
      previous: encodeOutput(this.previous),
      scalars: this.scalarStates.map(([live, saved]) => [encodeScalars(live), encodeScalars(saved)]),
      windows: this.windows.map((window) => window.toJSON()),
      children: this.children.map((child) => child.toJSON()),
    };
  }

  /** Restores a snapshot taken by `toJSON()` of an indicator of the same kind and parameters. */
  restore(state: JsonObject): void {
    if (state.kind !== this.kind)
      throw new RangeError(`state of a ${JSON.stringify(state.kind)} cannot restore a ${this.kind}`);
    if (canonicalJson(state.params) !== canonicalJson(this.params)) {
      throw new RangeError(
        `state of ${this.kind} ${JSON.stringify(state.params)} does not match ${JSON.stringify(this.params)}`,
      );
    }
    const scalars = arrayOf(state.scalars, 'scalars', this.scalarStates.length);
    this.scalarStates.forEach(([live, saved], index) => {
      const pair = arrayOf(scalars[index], 'scalar pair', 2);
      decodeScalarsInto(live, pair[0]);
      decodeScalarsInto(saved, pair[1]);
    });
    const windows = arrayOf(state.windows, 'windows', this.windows.length);
    this.windows.forEach((window, index) => window.restore(objectOf(windows[index], 'window')));
    const children = arrayOf(state.children, 'children', this.children.length);
    this.children.forEach((child, index) => child.restore(objectOf(children[index], 'child')));
    this.bars = Number(state.bars);
    this.current = decodeOutput(state.current ?? null) as Out | undefined;
    this.previous = decodeOutput(state.previous ?? null) as Out | undefined;
  }
}

function encodeScalars(scalars: Scalars): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(scalars)) out[key] = encodeNumber(value);
  return out;
}

function decodeScalarsInto(target: Scalars, source: JsonValue | undefined): void {
  const object = objectOf(source, 'scalars');
  for (const key of Object.keys(target)) {
    if (!(key in object)) throw new RangeError(`indicator state lacks scalar ${key}`);
    target[key] = decodeNumber(object[key]);
  }
}

function encodeOutput(output: IndicatorOutput | undefined): JsonValue {
  if (output === undefined) return null;
  if (typeof output === 'number') return encodeNumber(output);
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(output)) out[key] = encodeNumber(value);
  return out;
}

function decodeOutput(value: JsonValue): IndicatorOutput | undefined {
  if (value === null) return undefined;
  if (isJsonObject(value)) {
    const out: Record<string, number> = {};
    for (const [key, line] of Object.entries(value)) out[key] = decodeNumber(line);
    return out;
  }
  return decodeNumber(value);
}

function arrayOf(value: JsonValue | undefined, what: string, length: number): JsonValue[] {
  if (!Array.isArray(value) || value.length !== length)
    throw new RangeError(`indicator state: ${what} should be an array of ${length}`);
  return value;
}

function objectOf(value: JsonValue | undefined, what: string): JsonObject {
  if (!isJsonObject(value)) throw new RangeError(`indicator state: ${what} should be an object`);
  return value;
}
