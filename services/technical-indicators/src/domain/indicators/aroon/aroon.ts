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

const LINES = ['up', 'down', 'oscillator'] as const;

/** Aroon, TA-Lib AROON: 100 / n × (n − bars since the highest high / lowest low of the last n + 1 bars). */
export class Aroon extends Indicator<HighLow, AroonValue> {
  readonly kind = 'aroon';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly factor: number;
  private readonly highest: Extremum;
  private readonly lowest: Extremum;

  constructor(readonly period = 14) {
    super(LINES);
    assertPeriod('aroon', 'period', period);
    this.params = { period };
    this.lookback = period;
    this.factor = 100 / period;
    this.highest = this.child(new Extremum(period + 1, 'max'));
    this.lowest = this.child(new Extremum(period + 1, 'min'));
  }

  protected compute(bar: HighLow, replace: boolean): boolean {
    const highWarm = this.highest.advance(bar.high, replace);
    const lowWarm = this.lowest.advance(bar.low, replace);
    if (!highWarm || !lowWarm) return false;
    const period = this.period;
    const highAge = this.highest.age;
    const lowAge = this.lowest.age;
    const out = this.out; // LINES order
    out[0] = this.factor * (period - highAge);
    out[1] = this.factor * (period - lowAge);
    out[2] = this.factor * (lowAge - highAge);
    return true;
  }
}
