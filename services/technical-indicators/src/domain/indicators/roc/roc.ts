import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';
import type { Window } from '../window.js';

/** Rate of change in percent, TA-Lib ROC: ((x / x[-period]) - 1) * 100, and 0 when x[-period] is 0. */
export class Roc extends Indicator<number, number> {
  readonly kind = 'roc';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly values: Window;

  constructor(readonly period: number) {
    super();
    assertPeriod('roc', 'period', period, 1);
    this.params = { period };
    this.lookback = period;
    this.values = this.window(period + 1);
  }

  protected compute(value: number, replace: boolean): boolean {
    this.values.push(value, replace);
    if (!this.values.full) return false;
    const previous = this.values.oldest();
    return this.emit(previous !== 0 ? (value / previous - 1) * 100 : 0);
  }
}
