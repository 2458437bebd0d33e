import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';
import type { Window } from '../window.js';

/** Rolling sum of the last `period` values, TA-Lib SUM (same running total as SMA). */
export class Sum extends Indicator<number, number> {
  readonly kind = 'sum';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly values: Window;
  private readonly s = this.scalars({ total: 0 });

  constructor(readonly period: number) {
    super();
    assertPeriod('sum', 'period', period, 1);
    this.params = { period };
    this.lookback = period - 1;
    this.values = this.window(period);
  }

  protected compute(value: number, replace: boolean): boolean {
    this.values.push(value, replace);
    const s = this.s;
    if (this.count < this.period) {
      s.total += value;
      return false;
    }
    const total = s.total + value;
    s.total = total - this.values.oldest();
    return this.emit(total);
  }
}
