import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';
import type { Window } from '../window.js';

/**
 * Weighted moving average (weights 1..period, newest heaviest), TA-Lib WMA: the weighted sum is
 * kept incrementally (add period * x, subtract the plain sum) in TA-Lib's order of operations.
 */
export class Wma extends Indicator<number, number> {
  readonly kind = 'wma';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly divider: number;
  private readonly values: Window;
  private readonly s = this.scalars({ periodSum: 0, periodSub: 0, trailing: 0 });

  constructor(readonly period: number) {
    super();
    assertPeriod('wma', 'period', period, 1);
    this.params = { period };
    this.lookback = period - 1;
    this.divider = (period * (period + 1)) >> 1;
    this.values = this.window(period);
  }

  protected compute(value: number, replace: boolean): boolean {
    this.values.push(value, replace);
    const s = this.s;
    if (this.period === 1) return this.emit(value);
    if (this.count < this.period) {
      s.periodSub += value;
      s.periodSum += value * this.count;
      return false;
    }
    s.periodSub += value;
    s.periodSub -= s.trailing;
    s.periodSum += value * this.period;
    s.trailing = this.values.oldest();
    const out = s.periodSum / this.divider;
    s.periodSum -= s.periodSub;
    return this.emit(out);
  }
}
