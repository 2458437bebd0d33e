import { AppError } from '@crypto-predict/core';
import { canonicalJson, isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { decodeNumber, encodeNumber, Window } from './window.js';

/** An indicator's output: one number, or named numbers for multi-line indicators (MACD, bands). */
export type IndicatorOutput = number | { readonly [line: string]: number };

/** Parameters an indicator is built from; they are part of its state's identity. */
export type IndicatorParams = Readonly<Record<string, number | string>>;

/** Any indicator, whatever it reads and outputs (for code that only saves, snapshots or reads lines). */
export type AnyIndicator = Indicator<never, IndicatorOutput>;

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

type Scalars = Record<string, number>;
type CopyAll = (targets: readonly Scalars[], sources: readonly Scalars[]) => void;

const copiers = new Map<string, CopyAll>();

/**
 * One function that copies every field of a list of scalar objects (`t[i].key = s[i].key`), for
 * one list of shapes. Generated, so that each property access is its own monomorphic site: saving
 * a whole series' state is then a single call of straight-line code, several times cheaper than a
 * loop over the objects and their keys.
 */
function copierFor(shapes: readonly (readonly string[])[]): CopyAll {
  const signature = shapes.map((keys) => keys.join(',')).join(';');
  let copy = copiers.get(signature);
  if (copy === undefined) {
    for (const keys of shapes) {
      if (!keys.every((key) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)))
        throw new RangeError(`scalar names must be identifiers: ${keys.join(',')}`);
    }
    const body = shapes
      .map((keys, i) => [`t = T[${i}]; s = S[${i}];`, ...keys.map((key) => `t.${key} = s.${key};`)].join('\n'))
      .join('\n');
    // Generated code on purpose: the keys are checked identifiers (see above for why).
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    copy = new Function('T', 'S', `let t, s;\n${body}\n//# sourceURL=generated/checkpoint-copy`) as CopyAll;
    copiers.set(signature, copy);
  }
  return copy;
}

/**
 * The pre-bar state of a set of indicators (with their children): `save()` before a new bar,
 * `restore()` before replacing it. An indicator used on its own keeps one for itself; the feature
 * engine keeps one per series, so a bar costs one save for all its indicators.
 *
 * Windows are not in it: a window replaces its newest value itself (`Window.push(x, true)`).
 */
export class Checkpoint {
  private readonly live: Scalars[] = [];
  private readonly saved: Scalars[] = [];
  private readonly copy: CopyAll;

  constructor(indicators: readonly AnyIndicator[]) {
    const shapes: string[][] = [];
    for (const indicator of indicators) indicator.collectScalars(this.live, this.saved, shapes);
    this.copy = copierFor(shapes);
  }

  save(): void {
    this.copy(this.saved, this.live);
  }

  restore(): void {
    this.copy(this.live, this.saved);
  }
}

/**
 * The per-bar step of every indicator, compiled once per indicator class (see `specialise`):
 * count the bar (a replace before any bar is an update), compute it, and keep whether the
 * indicator is warm. No free variables, so it compiles unchanged in the global scope.
 */
const ADVANCE_SOURCE = `
  const revise = replace && this.bars > 0;
  if (!revise) this.bars += 1;
  const warm = this.compute(input, revise) && this.bars > this.lookback;
  this.warm = warm;
  return warm;`;

type Advance = (input: never, replace: boolean) => boolean;

/**
 * Gives an indicator class its own compiled copy of `advance`. V8 optimises code per function,
 * not per class: a single `advance` shared by ~40 classes sees ~40 receiver shapes, so its
 * `this.compute(...)` is a megamorphic call that is never inlined. With a copy per class, a
 * parent's `this.child.advance(x, replace)` is a monomorphic call that inlines the child's
 * `compute` like hand-written code: the default feature set took ~2.3 µs of CPU per candle with
 * one shared copy and ~1.4 µs with a copy per class (src/cli/measure-engine.ts, side by side).
 * Behaviour is identical either way; only the speed differs.
 */
function specialise(prototype: object): void {
  if (Object.prototype.hasOwnProperty.call(prototype, 'advance')) return;
  // The class name only labels the code in profiles and stack traces.
  const name = prototype.constructor.name.replace(/[^A-Za-z0-9_]/g, '');
  // Generated on purpose (see above); the source is the constant ADVANCE_SOURCE.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const advance = new Function(
    'input',
    'replace',
    `${ADVANCE_SOURCE}\n//# sourceURL=generated/advance/${name}`,
  ) as Advance;
  Object.defineProperty(prototype, 'advance', { value: advance, writable: true, configurable: true });
}

/**
 * A streaming indicator. `update` takes a new closed bar, `replace` a revision of the last bar;
 * both are O(1) (O(period) only where the maths needs the whole window, e.g. CCI) and return
 * `undefined` until the indicator is warm.
 *
 * Replace is exact: the indicator's state from before the last bar is kept and recomputed from,
 * so `update(a); replace(b)` is bit-for-bit `update(b)`. Subclasses keep their state in
 * `scalars()`, `window()` and `child()` so that the base class can save, restore and snapshot it.
 *
 * The hot path (the feature engine) does not build output objects: `advance` steps the indicator
 * after the caller saved or restored a `Checkpoint` covering it, `isWarm` says whether there is a
 * value and `out` holds its lines (`lineIndex` maps a line name to its slot).
 *
 * Warm-up follows TA-Lib: an indicator with lookback L returns its first value on input L + 1
 * (index L), and `unstablePeriod` (where TA-Lib has one) adds bars whose values are suppressed.
 */
export abstract class Indicator<In, Out extends IndicatorOutput> {
  abstract readonly kind: string;
  abstract readonly params: IndicatorParams;
  /** Inputs consumed before the first value (TA-Lib's lookback, including any unstable period). */
  abstract readonly lookback: number;
  /**
   * The latest output, one slot per line (`lines` order; slot 0 for a single-number indicator).
   * Subclasses write it in `compute`; it is the value only while `isWarm`.
   */
  readonly out: Float64Array;
  /** Line names of a multi-line indicator, or undefined for one whose output is a number. */
  readonly lines: readonly string[] | undefined;

  private bars = 0;
  private warm = false;
  private ownCheckpoint: Checkpoint | undefined = undefined;
  private readonly scalarStates: [live: Scalars, saved: Scalars][] = [];
  private readonly windows: Window[] = [];
  private readonly children: AnyIndicator[] = [];

  /**
   * The hot path: adds a bar (or, with `replace`, revises the last one; before any bar that is an
   * update) without building an output value, and says whether the indicator is warm. A parent
   * feeds its children with it. The caller must have saved (new bar) or restored (replace) a
   * Checkpoint that covers this indicator; `update` and `replace` do both.
   *
   * Implemented by ADVANCE_SOURCE, compiled per class (see `specialise`).
   */
  declare advance: (input: In, replace: boolean) => boolean;

  /** `lines`: the output's line names, in `out` order; omitted for an indicator that outputs a number. */
  constructor(lines?: readonly string[]) {
    this.lines = lines;
    this.out = new Float64Array(lines?.length ?? 1).fill(Number.NaN);
    specialise(new.target.prototype);
  }

  /** Adds a new closed bar. */
  update(input: In): Out | undefined {
    this.checkpoint().save();
    this.advance(input, false);
    return this.value;
  }

  /** Replaces the last bar with a revision of it; before any bar, it is an update. */
  replace(input: In): Out | undefined {
    if (this.bars === 0) return this.update(input);
    this.checkpoint().restore();
    this.advance(input, true);
    return this.value;
  }

  /** The latest value, or undefined while warming up. */
  get value(): Out | undefined {
    if (!this.warm) return undefined;
    const lines = this.lines;
    if (lines === undefined) return this.latest as Out;
    const value: Record<string, number> = {};
    for (let i = 0; i < lines.length; i += 1) value[lines[i] ?? ''] = this.out[i] ?? Number.NaN;
    // The object has exactly the lines the subclass declared for its Out type.
    return value as Out;
  }

  get isWarm(): boolean {
    return this.warm;
  }

  /** The first (or only) line of the latest output; meaningful while `isWarm`. */
  get latest(): number {
    return this.out[0] ?? Number.NaN;
  }

  /** Bars seen so far. */
  get count(): number {
    return this.bars;
  }

  valueOrThrow(): Out {
    const value = this.value;
    if (value === undefined) throw new NotWarmedUpError(this.kind, this.bars, this.lookback);
    return value;
  }

  /** The slot of `out` that holds a line (`value` is the single line of a number output). */
  lineIndex(line: string): number {
    const index = this.lines === undefined ? (line === 'value' ? 0 : -1) : this.lines.indexOf(line);
    if (index < 0) throw new RangeError(`${this.kind} has no line ${line}`);
    return index;
  }

  /**
   * Computes the output of the bar just counted (`count` already includes it): writes it to `out`
   * and returns true, or returns false while there is none. `replace` says the bar revises the
   * previous call's bar: pass it on to windows and child indicators. Outputs while
   * `count <= lookback` are hidden (TA-Lib's warm-up and unstable period).
   */
  protected abstract compute(input: In, replace: boolean): boolean;

  /** Writes a single-number output; `return this.emit(x)` in `compute`. */
  protected emit(value: number): true {
    this.out[0] = value;
    return true;
  }

  /** Declares scalar state (save/restore/snapshot are handled here). Call in field initialisers. */
  protected scalars<S extends Scalars>(initial: S): S {
    const live = { ...initial };
    this.scalarStates.push([live, { ...initial }]);
    return live;
  }

  protected window(capacity: number): Window {
    const window = new Window(capacity);
    this.windows.push(window);
    return window;
  }

  protected child<C extends AnyIndicator>(indicator: C): C {
    this.children.push(indicator);
    return indicator;
  }

  private checkpoint(): Checkpoint {
    return (this.ownCheckpoint ??= new Checkpoint([this]));
  }

  /** Appends this indicator's and its children's scalar state to a Checkpoint's lists (used by Checkpoint). */
  collectScalars(live: Scalars[], saved: Scalars[], shapes: string[][]): void {
    for (const [liveState, savedState] of this.scalarStates) {
      live.push(liveState);
      saved.push(savedState);
      shapes.push(Object.keys(liveState));
    }
    for (const child of this.children) child.collectScalars(live, saved, shapes);
  }

  toJSON(): JsonObject {
    return {
      kind: this.kind,
      params: { ...this.params },
      bars: this.bars,
      current: encodeOutput(this.value),
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
    this.restoreOutput(state.current ?? null);
  }

  private restoreOutput(current: JsonValue): void {
    this.out.fill(Number.NaN);
    this.warm = current !== null;
    if (current === null) return;
    const lines = this.lines;
    if (lines === undefined) {
      this.out[0] = decodeNumber(current);
      return;
    }
    const object = objectOf(current, 'current');
    lines.forEach((line, index) => {
      if (!(line in object)) throw new RangeError(`indicator state: current lacks line ${line}`);
      this.out[index] = decodeNumber(object[line]);
    });
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

function arrayOf(value: JsonValue | undefined, what: string, length: number): JsonValue[] {
  if (!Array.isArray(value) || value.length !== length)
    throw new RangeError(`indicator state: ${what} should be an array of ${length}`);
  return value;
}

function objectOf(value: JsonValue | undefined, what: string): JsonObject {
  if (!isJsonObject(value)) throw new RangeError(`indicator state: ${what} should be an object`);
  return value;
}
