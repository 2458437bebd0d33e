import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Candle } from '@crypto-predict/core';

/** The npm `talib` binding (the TA-Lib C library), used only as the test oracle. */
export interface TalibResult {
  begIndex: number;
  nbElement: number;
  result: Record<string, number[]>;
}
export interface Talib {
  execute(request: Record<string, unknown>): TalibResult | { error: string };
  setUnstablePeriod(functionId: number, period: number): void;
  functionUnstIds: Record<string, number>;
}

export const talib = createRequire(import.meta.url)('talib') as Talib;

export interface TalibCall {
  name: string;
  /** Option inputs, e.g. { optInTimePeriod: 14 }. */
  options?: Record<string, number>;
  /** Series inputs; by default inReal = close and high/low/close/volume from the candles. */
  inputs?: Record<string, number[]>;
  /** TA-Lib unstable period to set for this call (restored to 0 after). */
  unstable?: { id: string; period: number };
}

/** Runs a TA-Lib function over the whole series; each output is aligned to the input (NaN before begIndex). */
export function runTalib(candles: readonly Candle[], call: TalibCall): Record<string, number[]> {
  const n = candles.length;
  const inputs = call.inputs ?? {
    inReal: candles.map((c) => c.close),
    high: candles.map((c) => c.high),
    low: candles.map((c) => c.low),
    close: candles.map((c) => c.close),
    open: candles.map((c) => c.open),
    volume: candles.map((c) => c.volume),
  };
  const unstableId = call.unstable === undefined ? undefined : talib.functionUnstIds[call.unstable.id];
  if (call.unstable !== undefined && unstableId === undefined)
    throw new Error(`unknown unstable id ${call.unstable.id}`);
  if (unstableId !== undefined && call.unstable !== undefined)
    talib.setUnstablePeriod(unstableId, call.unstable.period);
  try {
    const response = talib.execute({ name: call.name, startIdx: 0, endIdx: n - 1, ...inputs, ...call.options });
    if ('error' in response) throw new Error(`TA-Lib ${call.name}: ${response.error}`);
    const aligned: Record<string, number[]> = {};
    for (const [key, values] of Object.entries(response.result)) {
      const out = new Array<number>(n).fill(Number.NaN);
      values.forEach((value, index) => {
        out[response.begIndex + index] = value;
      });
      aligned[key] = out;
    }
    return aligned;
  } finally {
    if (unstableId !== undefined) talib.setUnstablePeriod(unstableId, 0);
  }
}

export interface Agreement {
  compared: number;
  maxAbsDiff: number;
  maxRelDiff: number;
  identical: number;
}

/** The tolerance every indicator is held to after warm-up. */
export const MAX_RELATIVE_DIFFERENCE = 1e-9;

/**
 * Asserts that a streamed series agrees with TA-Lib's: undefined exactly where TA-Lib has no
 * value (the warm-up), and within 1e-9 relative difference elsewhere (equal where TA-Lib is 0).
 */
export function assertAgrees(
  what: string,
  ours: readonly (number | undefined)[],
  reference: readonly number[],
): Agreement {
  assert.equal(ours.length, reference.length, `${what}: one value per bar`);
  const firstReference = reference.findIndex((value) => !Number.isNaN(value));
  const firstOurs = ours.findIndex((value) => value !== undefined);
  assert.ok(firstReference >= 0, `${what}: TA-Lib produced values (check the span is longer than the lookback)`);
  assert.equal(firstOurs, firstReference, `${what}: the first value comes at the bar where TA-Lib's first value is`);
  const agreement: Agreement = { compared: 0, maxAbsDiff: 0, maxRelDiff: 0, identical: 0 };
  for (let i = 0; i < reference.length; i += 1) {
    const expected = reference[i] ?? Number.NaN;
    const actual = ours[i];
    if (Number.isNaN(expected)) {
      assert.equal(actual, undefined, `${what}[${i}]: no value while TA-Lib has none`);
      continue;
    }
    assert.ok(actual !== undefined, `${what}[${i}]: a value wherever TA-Lib has one`);
    const diff = Math.abs(actual - expected);
    const relative = expected === 0 ? (diff === 0 ? 0 : Number.POSITIVE_INFINITY) : diff / Math.abs(expected);
    agreement.compared += 1;
    if (diff === 0) agreement.identical += 1;
    agreement.maxAbsDiff = Math.max(agreement.maxAbsDiff, diff);
    agreement.maxRelDiff = Math.max(agreement.maxRelDiff, relative);
    assert.ok(
      relative <= MAX_RELATIVE_DIFFERENCE,
      `${what}[${i}]: ${actual} must be within ${MAX_RELATIVE_DIFFERENCE} of TA-Lib's ${expected} (relative ${relative})`,
    );
  }
  return agreement;
}

/** Feeds every candle through `update` and collects one output per bar. */
export function stream<T>(candles: readonly Candle[], update: (candle: Candle) => T | undefined): (T | undefined)[] {
  return candles.map((candle) => update(candle));
}

export function describeAgreement(agreement: Agreement): string {
  return `${agreement.compared} values, ${agreement.identical} bit-identical, max |Δ| ${agreement.maxAbsDiff.toExponential(2)}, max rel ${agreement.maxRelDiff.toExponential(2)}`;
}

/** Anything that streams: an indicator fed by `read` from each candle. */
interface Streaming<In> {
  update(input: In): number | Readonly<Record<string, number>> | undefined;
}

/** Streams the candles through an indicator and splits its output into lines (`value` for a number). */
export function streamLines<In>(
  candles: readonly Candle[],
  indicator: Streaming<In>,
  read: (candle: Candle) => In,
): Record<string, (number | undefined)[]> {
  const out: Record<string, (number | undefined)[]> = {};
  candles.forEach((candle, index) => {
    const value = indicator.update(read(candle));
    if (value === undefined) return;
    const entries = typeof value === 'number' ? [['value', value] as const] : Object.entries(value);
    for (const [line, number] of entries) {
      const series = out[line] ?? (out[line] = new Array<number | undefined>(candles.length).fill(undefined));
      series[index] = number;
    }
  });
  return out;
}

/**
 * Asserts each named line of ours agrees with its reference series and reports the agreement as
 * a test diagnostic (the numbers the README's exactness table comes from).
 */
export function assertLinesAgree(
  report: (message: string) => void,
  label: string,
  ours: Record<string, (number | undefined)[]>,
  reference: Record<string, number[]>,
): void {
  for (const [line, expected] of Object.entries(reference)) {
    const actual = ours[line] ?? new Array<number | undefined>(expected.length).fill(undefined);
    const agreement = assertAgrees(`${label}.${line}`, actual, expected);
    report(`${label}.${line}: ${describeAgreement(agreement)}`);
  }
}
