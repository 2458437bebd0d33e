import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod, assertUnstable, isZero } from '../params.js';
import type { Window } from '../window.js';

const FASTEST = 2 / (2 + 1);
const SLOWEST = 2 / (30 + 1);
const SPAN = FASTEST - SLOWEST;

/**
 * Kaufman adaptive moving average, TA-Lib KAMA: efficiency ratio |x - x[-n]| / Σ|Δx| over n bars
 * mapped to a smoothing constant between EMA(30) and EMA(2), squared. Seeded with x[n - 1].
 * TA-Lib compares the raw (signed) change with the path length; kept as is.
 */
export class Kama extends Indicator<number, number> {
  readonly kind = 'kama';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly values: Window;
  private readonly s = this.scalars({ path: 0, kama: 0, trailing: 0 });

  constructor(
    readonly period: number,
    readonly unstablePeriod = 0,
  ) {
    super();
    assertPeriod('kama', 'period', period);
    assertUnstable('kama', unstablePeriod);
    this.params = { period, unstablePeriod };
    this.lookback = period + unstablePeriod;
    this.values = this.window(period + 1);
  }

  protected compute(value: number, replace: boolean): boolean {
    const values = this.values;
    values.push(value, replace);
    const s = this.s;
    const period = this.period;
    const index = this.count - 1;
    if (index === 0) return false;
    const previous = values.fromNewest(1);
    if (index < period) {
      s.path += Math.abs(previous - value);
      return false;
    }
    const trailing = values.oldest();
    const change = value - trailing;
    if (index === period) {
      s.path += Math.abs(previous - value);
      s.kama = previous;
    } else {
      s.path -= Math.abs(s.trailing - trailing);
      s.path += Math.abs(value - previous);
    }
    s.trailing = trailing;
    let ratio = s.path <= change || isZero(s.path) ? 1 : Math.abs(change / s.path);
    ratio = ratio * SPAN + SLOWEST;
    ratio *= ratio;
    s.kama = (value - s.kama) * ratio + s.kama;
    return this.emit(s.kama);
  }
}
