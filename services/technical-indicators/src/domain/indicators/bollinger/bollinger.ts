import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod, isZeroOrNegative } from '../params.js';
import { MeanVariance } from '../stddev/mean-variance.js';

export type BollingerValue = {
  readonly upper: number;
  readonly middle: number;
  readonly lower: number;
  /** Where the value sits in the band: 0 at the lower, 1 at the upper band (0.5 if the band is flat). */
  readonly percentB: number;
  /** Band width relative to the middle: (upper - lower) / middle (0 if the middle is 0). */
  readonly width: number;
};

const LINES = ['upper', 'middle', 'lower', 'percentB', 'width'] as const;

/**
 * Bollinger bands, TA-Lib BBANDS with an SMA middle: middle ± deviations × the population standard
 * deviation (TA-Lib's E[x²] - mean², 0 below 1e-14). %B and width are derived from TA-Lib's bands.
 */
export class Bollinger extends Indicator<number, BollingerValue> {
  readonly kind = 'bollinger';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly moments: MeanVariance;

  constructor(
    readonly period = 20,
    readonly deviationsUp = 2,
    readonly deviationsDown = deviationsUp,
  ) {
    super(LINES);
    assertPeriod('bollinger', 'period', period);
    if (!(deviationsUp > 0) || !(deviationsDown > 0)) throw new RangeError('bollinger: deviations must be positive');
    this.params = { period, deviationsUp, deviationsDown };
    this.lookback = period - 1;
    this.moments = this.child(new MeanVariance(period));
  }

  protected compute(value: number, replace: boolean): boolean {
    const moments = this.moments;
    if (!moments.advance(value, replace)) return false;
    const variance = moments.variance;
    const deviation = isZeroOrNegative(variance) ? 0 : Math.sqrt(variance);
    const middle = moments.mean;
    const upper = middle + deviation * this.deviationsUp;
    const lower = middle - deviation * this.deviationsDown;
    const range = upper - lower;
    const out = this.out; // LINES order
    out[0] = upper;
    out[1] = middle;
    out[2] = lower;
    out[3] = range > 0 ? (value - lower) / range : 0.5;
    out[4] = middle !== 0 ? range / middle : 0;
    return true;
  }
}
