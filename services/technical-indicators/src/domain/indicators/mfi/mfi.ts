import type { HighLowCloseVolume } from '../bar.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod, assertUnstable } from '../params.js';
import type { Window } from '../window.js';

/**
 * Money flow index, TA-Lib MFI: 100 × positive / (positive + negative) money flow over `period`
 * bars, money flow = typical price × volume signed by the change in typical price. TA-Lib returns
 * 0 when the total flow is below 1 (e.g. a run of empty bars); kept.
 */
export class Mfi extends Indicator<HighLowCloseVolume, number> {
  readonly kind = 'mfi';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly positive: Window;
  private readonly negative: Window;
  private readonly s = this.scalars({ previousTypical: 0, positiveSum: 0, negativeSum: 0 });

  constructor(
    readonly period = 14,
    readonly unstablePeriod = 0,
  ) {
    super();
    assertPeriod('mfi', 'period', period);
    assertUnstable('mfi', unstablePeriod);
    this.params = { period, unstablePeriod };
    this.lookback = period + unstablePeriod;
    this.positive = this.window(period);
    this.negative = this.window(period);
  }

  protected compute(bar: HighLowCloseVolume, replace: boolean): boolean {
    const s = this.s;
    const typical = (bar.high + bar.low + bar.close) / 3;
    if (this.count === 1) {
      s.previousTypical = typical;
      return false;
    }
    const change = typical - s.previousTypical;
    s.previousTypical = typical;
    const flow = typical * bar.volume;
    const positive = change > 0 ? flow : 0;
    const negative = change < 0 ? flow : 0;
    const oldPositive = this.positive.push(positive, replace);
    const oldNegative = this.negative.push(negative, replace);
    if (this.count > this.period + 1) {
      s.positiveSum -= oldPositive;
      s.negativeSum -= oldNegative;
    }
    if (change < 0) s.negativeSum += flow;
    else if (change > 0) s.positiveSum += flow;
    if (this.count <= this.period) return false;
    const total = s.positiveSum + s.negativeSum;
    return this.emit(total < 1 ? 0 : 100 * (s.positiveSum / total));
  }
}
