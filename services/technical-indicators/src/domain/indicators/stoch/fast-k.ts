import type { HighLowClose } from '../bar.js';
import { Extremum } from '../extremum/extremum.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';

/** Raw stochastic %K over `period` bars: (close − lowest low) / ((highest high − lowest low) / 100); 0 for a flat range. */
export class FastK extends Indicator<HighLowClose, number> {
  readonly kind = 'fast_k';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly highest: Extremum;
  private readonly lowest: Extremum;

  constructor(readonly period: number) {
    super();
    assertPeriod('fast_k', 'period', period, 1);
    this.params = { period };
    this.lookback = period - 1;
    this.highest = this.child(new Extremum(period, 'max'));
    this.lowest = this.child(new Extremum(period, 'min'));
  }

  protected compute(bar: HighLowClose, replace: boolean): number | undefined {
    const highest = Indicator.feed(this.highest, bar.high, replace);
    const lowest = Indicator.feed(this.lowest, bar.low, replace);
    if (highest === undefined || lowest === undefined) return undefined;
    const diff = (highest.value - lowest.value) / 100;
    return diff !== 0 ? (bar.close - lowest.value) / diff : 0;
  }
}
