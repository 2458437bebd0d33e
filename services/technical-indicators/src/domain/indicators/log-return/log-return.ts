import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';
import type { Window } from '../window.js';

/** Log return over `period` bars: ln(x / x[-period]). Scale-free; the modelling target's unit. */
export class LogReturn extends Indicator<number, number> {
  readonly kind = 'log_return';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly values: Window;

  constructor(readonly period: number) {
    super();
    assertPeriod('log_return', 'period', period, 1);
    this.params = { period };
    this.lookback = period;
    this.values = this.window(period + 1);
  }

  protected compute(value: number, replace: boolean): boolean {
    this.values.push(value, replace);
    if (!this.values.full) return false;
    return this.emit(Math.log(value / this.values.oldest()));
  }
}
