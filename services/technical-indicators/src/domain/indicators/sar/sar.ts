import type { HighLow } from '../bar.js';
import { Indicator, type IndicatorParams } from '../indicator.js';

/**
 * Parabolic SAR, TA-Lib SAR: the initial direction comes from the −DM of the first two bars, the
 * first SAR is the first bar's extreme, and the acceleration steps by `acceleration` up to
 * `maximum` at each new extreme. A price level.
 */
export class Sar extends Indicator<HighLow, number> {
  readonly kind = 'sar';
  readonly params: IndicatorParams;
  readonly lookback = 1;
  private readonly acceleration: number;
  private readonly s = this.scalars({ isLong: 0, af: 0, ep: 0, sar: 0, high: 0, low: 0 });

  constructor(
    acceleration = 0.02,
    readonly maximum = 0.2,
  ) {
    super();
    if (!(acceleration > 0) || !(maximum > 0)) throw new RangeError('sar: acceleration and maximum must be positive');
    this.params = { acceleration, maximum };
    // TA-Lib caps the step itself at the maximum.
    this.acceleration = Math.min(acceleration, maximum);
  }

  protected compute(bar: HighLow): boolean {
    const s = this.s;
    if (this.count === 1) {
      s.high = bar.high;
      s.low = bar.low;
      return false;
    }
    let previousHigh = s.high;
    let previousLow = s.low;
    if (this.count === 2) {
      const diffP = bar.high - s.high;
      const diffM = s.low - bar.low;
      const minusDm = diffM > 0 && diffP < diffM ? diffM : 0;
      s.isLong = minusDm > 0 ? 0 : 1;
      s.af = this.acceleration;
      if (s.isLong === 1) {
        s.ep = bar.high;
        s.sar = s.low;
      } else {
        s.ep = bar.low;
        s.sar = s.high;
      }
      // TA-Lib's first step compares the second bar with itself.
      previousHigh = bar.high;
      previousLow = bar.low;
    }
    const newHigh = bar.high;
    const newLow = bar.low;
    s.high = newHigh;
    s.low = newLow;
    let output: number;
    if (s.isLong === 1) {
      if (newLow <= s.sar) {
        s.isLong = 0;
        s.sar = s.ep;
        if (s.sar < previousHigh) s.sar = previousHigh;
        if (s.sar < newHigh) s.sar = newHigh;
        output = s.sar;
        s.af = this.acceleration;
        s.ep = newLow;
        s.sar = s.sar + s.af * (s.ep - s.sar);
        if (s.sar < previousHigh) s.sar = previousHigh;
        if (s.sar < newHigh) s.sar = newHigh;
      } else {
        output = s.sar;
        if (newHigh > s.ep) {
          s.ep = newHigh;
          s.af += this.acceleration;
          if (s.af > this.maximum) s.af = this.maximum;
        }
        s.sar = s.sar + s.af * (s.ep - s.sar);
        if (s.sar > previousLow) s.sar = previousLow;
        if (s.sar > newLow) s.sar = newLow;
      }
    } else if (newHigh >= s.sar) {
      s.isLong = 1;
      s.sar = s.ep;
      if (s.sar > previousLow) s.sar = previousLow;
      if (s.sar > newLow) s.sar = newLow;
      output = s.sar;
      s.af = this.acceleration;
      s.ep = newHigh;
      s.sar = s.sar + s.af * (s.ep - s.sar);
      if (s.sar > previousLow) s.sar = previousLow;
      if (s.sar > newLow) s.sar = newLow;
    } else {
      output = s.sar;
      if (newLow < s.ep) {
        s.ep = newLow;
        s.af += this.acceleration;
        if (s.af > this.maximum) s.af = this.maximum;
      }
      s.sar = s.sar + s.af * (s.ep - s.sar);
      if (s.sar < previousHigh) s.sar = previousHigh;
      if (s.sar < newHigh) s.sar = newHigh;
    }
    return this.emit(output);
  }
}
