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

  protected compute(bar: HighLowClose, replace: boolean): boolean {
    const highWarm = this.highest.advance(bar.high, replace);
    const lowWarm = this.lowest.advance(bar.low, replace);
    if (!highWarm || !lowWarm) return false;
    const lowest = this.lowest.extreme;
    const diff = (this.highest.extreme - lowest) / 100;
    return this.emit(diff !== 0 ? (bar.close - lowest) / diff : 0);
  }
}
