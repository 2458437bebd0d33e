import type { HighLowClose } from '../bar.js';
import { trueRange } from '../atr/true-range.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';

export type DirectionalMovementValue = {
  /** Wilder-smoothed +DM, −DM and true range (sums, not averages, as TA-Lib keeps them). */
  readonly plusDm: number;
  readonly minusDm: number;
  readonly trueRange: number;
};

const LINES = ['plusDm', 'minusDm', 'trueRange'] as const;

/**
 * The smoothed directional movement shared by TA-Lib's PLUS_DI, MINUS_DI, DX and ADX: plain sums
 * over bars 2..period, then s = s − s / n + x from bar period + 1, the first value.
 */
export class DirectionalMovement extends Indicator<HighLowClose, DirectionalMovementValue> {
  readonly kind = 'directional_movement';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly s = this.scalars({
    previousHigh: 0,
    previousLow: 0,
    previousClose: 0,
    plusDm: 0,
    minusDm: 0,
    trueRange: 0,
  });

  constructor(readonly period: number) {
    super(LINES);
    assertPeriod('directional_movement', 'period', period);
    this.params = { period };
    this.lookback = period;
  }

  /** Smoothed +DM (while warm). */
  get plusDm(): number {
    return this.out[0] ?? Number.NaN;
  }

  /** Smoothed −DM (while warm). */
  get minusDm(): number {
    return this.out[1] ?? Number.NaN;
  }

  /** Smoothed true range (while warm). */
  get trueRange(): number {
    return this.out[2] ?? Number.NaN;
  }

  protected compute(bar: HighLowClose): boolean {
    const s = this.s;
    const period = this.period;
    if (this.count === 1) {
      s.previousHigh = bar.high;
      s.previousLow = bar.low;
      s.previousClose = bar.close;
      return false;
    }
    const diffP = bar.high - s.previousHigh;
    const diffM = s.previousLow - bar.low;
    s.previousHigh = bar.high;
    s.previousLow = bar.low;
    const range = trueRange(bar.high, bar.low, s.previousClose);
    s.previousClose = bar.close;
    if (this.count <= period) {
      if (diffM > 0 && diffP < diffM) s.minusDm += diffM;
      else if (diffP > 0 && diffP > diffM) s.plusDm += diffP;
      s.trueRange += range;
      return false;
    }
    s.minusDm -= s.minusDm / period;
    s.plusDm -= s.plusDm / period;
    if (diffM > 0 && diffP < diffM) s.minusDm += diffM;
    else if (diffP > 0 && diffP > diffM) s.plusDm += diffP;
    s.trueRange = s.trueRange - s.trueRange / period + range;
    const out = this.out; // LINES order
    out[0] = s.plusDm;
    out[1] = s.minusDm;
    out[2] = s.trueRange;
    return true;
  }
}
