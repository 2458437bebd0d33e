import type { HighLow } from '../bar.js';
import { Extremum } from '../extremum/extremum.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';

export type AroonValue = {
  readonly up: number;
  readonly down: number;
  /** up − down, computed as TA-Lib AROONOSC does: 100 / n × (highIndex − lowIndex). */
  readonly oscillator: number;
};

/** Aroon, TA-Lib AROON: 100 / n × (n − bars since the highest high / lowest low of the last n + 1 bars). */
export class Aroon extends Indicator<HighLow, AroonValue> {
  readonly kind = 'aroon';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly factor: number;
  private readonly highest: Extremum;
  private readonly lowest: Extremum;

  constructor(readonly period = 14) {
    super();
    assertPeriod('aroon', 'period', period);
    this.params = { period };
    this.lookback = period;
    this.factor = 100 / period;
    this.highest = this.child(new Extremum(period + 1, 'max'));
    this.lowest = this.child(new Extremum(period + 1, 'min'));
  }

  protected compute(bar: HighLow, replace: boolean): AroonValue | undefined {
    const highest = Indicator.feed(this.highest, bar.high, replace);
    const lowest = Indicator.feed(this.lowest, bar.low, replace);
    if (highest === undefined || lowest === undefined) return undefined;
    const period = this.period;
    return {
      up: this.factor * (period - highest.age),
      down: this.factor * (period - lowest.age),
      oscillator: this.factor * (lowest.age - highest.age),
    };
  }
}
