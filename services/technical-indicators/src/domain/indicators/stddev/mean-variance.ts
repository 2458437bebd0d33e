import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';
import type { Window } from '../window.js';

export type MeanVarianceValue = {
  readonly mean: number;
  readonly variance: number;
};

const LINES = ['mean', 'variance'] as const;

/**
 * Rolling mean and population variance over `period` values, as TA-Lib's VAR (and BBANDS's
 * stddev_using_precalc_ma) compute them: running sums of x and x², E[x²] - E[x]², same order.
 */
export class MeanVariance extends Indicator<number, MeanVarianceValue> {
  readonly kind = 'mean_variance';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly values: Window;
  private readonly s = this.scalars({ total1: 0, total2: 0 });

  constructor(readonly period: number) {
    super(LINES);
    assertPeriod('mean_variance', 'period', period, 1);
    this.params = { period };
    this.lookback = period - 1;
    this.values = this.window(period);
  }

  /** The window's mean (while warm). */
  get mean(): number {
    return this.out[0] ?? Number.NaN;
  }

  /** The window's population variance (while warm). */
  get variance(): number {
    return this.out[1] ?? Number.NaN;
  }

  protected compute(value: number, replace: boolean): boolean {
    this.values.push(value, replace);
    const s = this.s;
    if (this.count < this.period) {
      s.total1 += value;
      s.total2 += value * value;
      return false;
    }
    const total1 = s.total1 + value;
    const total2 = s.total2 + value * value;
    const mean = total1 / this.period;
    const meanOfSquares = total2 / this.period;
    const trailing = this.values.oldest();
    s.total1 = total1 - trailing;
    s.total2 = total2 - trailing * trailing;
    this.out[0] = mean;
    this.out[1] = meanOfSquares - mean * mean;
    return true;
  }
}
