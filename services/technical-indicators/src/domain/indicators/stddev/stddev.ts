import { Indicator, type IndicatorParams } from '../indicator.js';
import { isZeroOrNegative } from '../params.js';
import { MeanVariance } from './mean-variance.js';

/**
 * Rolling population standard deviation, TA-Lib STDDEV: sqrt(VAR) * nbDev, and 0 where the
 * variance is below 1e-14 (TA-Lib's guard against the rounding of E[x²] - E[x]²).
 */
export class StdDev extends Indicator<number, number> {
  readonly kind = 'stddev';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly moments: MeanVariance;

  constructor(
    readonly period: number,
    readonly deviations = 1,
  ) {
    super();
    this.moments = this.child(new MeanVariance(period));
    this.params = { period, deviations };
    this.lookback = period - 1;
  }

  protected compute(value: number, replace: boolean): boolean {
    if (!this.moments.advance(value, replace)) return false;
    const variance = this.moments.variance;
    return this.emit(isZeroOrNegative(variance) ? 0 : Math.sqrt(variance) * this.deviations);
  }
}
