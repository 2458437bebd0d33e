import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';
import type { Window } from '../window.js';

/**
 * Simple moving average, TA-Lib SMA: a running total of the last `period` values, added to before
 * and trimmed after each output in TA-Lib's order, so it rounds exactly as TA-Lib does.
 */
export class Sma extends Indicator<number, number> {
  readonly kind = 'sma';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly values: Window;
  private readonly s = this.scalars({ total: 0 });

  constructor(readonly period: number) {
    super();
    assertPeriod('sma', 'period', period, 1);
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
    return this.emit(total / this.period);
  }
}
