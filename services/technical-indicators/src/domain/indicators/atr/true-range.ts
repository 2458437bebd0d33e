import type { HighLowClose } from '../bar.js';
import { Indicator, type IndicatorParams } from '../indicator.js';

/** True range, TA-Lib TRANGE: max(high - low, |prevClose - high|, |prevClose - low|), from bar 2. */
export class TrueRange extends Indicator<HighLowClose, number> {
  readonly kind = 'true_range';
  readonly params: IndicatorParams = {};
  readonly lookback = 1;
  private readonly s = this.scalars({ previousClose: 0 });

  protected compute(bar: HighLowClose): boolean {
    const previousClose = this.s.previousClose;
    this.s.previousClose = bar.close;
    if (this.count === 1) return false;
    return this.emit(trueRange(bar.high, bar.low, previousClose));
  }
}

/** TA-Lib's TRUE_RANGE macro, comparisons in its order. */
export function trueRange(high: number, low: number, previousClose: number): number {
  let greatest = high - low;
  const toHigh = Math.abs(previousClose - high);
  if (toHigh > greatest) greatest = toHigh;
  const toLow = Math.abs(previousClose - low);
  if (toLow > greatest) greatest = toLow;
  return greatest;
}
