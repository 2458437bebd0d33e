import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';
import type { Window } from '../window.js';

export type ExtremumValue = {
  readonly value: number;
  /** Bars since the extreme (0 = the current bar); the latest bar wins a tie, as in TA-Lib AROON. */
  readonly age: number;
};

const LINES = ['value', 'age'] as const;

/**
 * Highest (or lowest) of the last `period` values and how long ago it was, TA-Lib's way: the
 * extreme and its index are cached and the window is rescanned only when the extreme leaves it,
 * so an update is O(1) amortised. TA-Lib MAX/MIN (values) and AROON (index) agree with it.
 */
export class Extremum extends Indicator<number, ExtremumValue> {
  readonly kind = 'extremum';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly values: Window;
  private readonly s = this.scalars({ extreme: 0, index: -1 });
  private readonly sign: number;

  constructor(
    readonly period: number,
    readonly side: 'max' | 'min',
  ) {
    super(LINES);
    assertPeriod('extremum', 'period', period, 1);
    this.params = { period, side };
    this.lookback = period - 1;
    this.values = this.window(period);
    this.sign = side === 'max' ? 1 : -1;
  }

  /** The extreme value (while warm). */
  get extreme(): number {
    return this.out[0] ?? Number.NaN;
  }

  /** Bars since the extreme (while warm). */
  get age(): number {
    return this.out[1] ?? Number.NaN;
  }

  protected compute(value: number, replace: boolean): boolean {
    const values = this.values;
    values.push(value, replace);
    const s = this.s;
    const today = this.count - 1;
    const trailing = today - values.size + 1;
    if (s.index < trailing) {
      s.index = trailing;
      s.extreme = values.at(trailing);
      for (let i = trailing + 1; i <= today; i += 1) {
        const candidate = values.at(i);
        if (this.sign * candidate >= this.sign * s.extreme) {
          s.index = i;
          s.extreme = candidate;
        }
      }
    } else if (this.sign * value >= this.sign * s.extreme) {
      s.index = today;
      s.extreme = value;
    }
    if (this.count < this.period) return false;
    this.out[0] = s.extreme; // LINES order
    this.out[1] = today - s.index;
    return true;
  }
}
