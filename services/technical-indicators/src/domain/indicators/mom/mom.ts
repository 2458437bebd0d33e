import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';
import type { Window } from '../window.js';

/** Momentum, TA-Lib MOM: x - x[-period]. In price units. */
export class Mom extends Indicator<number, number> {
  readonly kind = 'mom';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly values: Window;

  constructor(readonly period: number) {
    super();
    assertPeriod('mom', 'period', period, 1);
    this.params = { period };
    this.lookback = period;
    this.values = this.window(period + 1);
  }

  protected compute(value: number, replace: boolean): boolean {
    this.values.push(value, replace);
    if (!this.values.full) return false;
    return this.emit(value - this.values.oldest());
  }
}
