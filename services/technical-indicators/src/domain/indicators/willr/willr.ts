import type { HighLowClose } from '../bar.js';
import { Extremum } from '../extremum/extremum.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';

/** Williams %R, TA-Lib WILLR: (highest − close) / ((highest − lowest) / −100), −100..0; 0 for a flat range. */
export class WillR extends Indicator<HighLowClose, number> {
  readonly kind = 'willr';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly highest: Extremum;
  private readonly lowest: Extremum;

  constructor(readonly period = 14) {
    super();
    assertPeriod('willr', 'period', period);
    this.params = { period };
    this.lookback = period - 1;
    this.highest = this.child(new Extremum(period, 'max'));
    this.lowest = this.child(new Extremum(period, 'min'));
  }

  protected compute(bar: HighLowClose, replace: boolean): boolean {
    const highWarm = this.highest.advance(bar.high, replace);
    const lowWarm = this.lowest.advance(bar.low, replace);
    if (!highWarm || !lowWarm) return false;
    const highest = this.highest.extreme;
    const diff = (highest - this.lowest.extreme) / -100;
    return this.emit(diff !== 0 ? (highest - bar.close) / diff : 0);
  }
}
