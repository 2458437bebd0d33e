import type { HighLowClose } from '../bar.js';
import { Extremum } from '../extremum/extremum.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { CHANNEL_LINES, writeChannel, type ChannelValue } from '../keltner/keltner.js';
import { assertPeriod } from '../params.js';

/** Donchian channel: highest high and lowest low of the last `period` bars (TA-Lib MAX/MIN), and their midpoint. */
export class Donchian extends Indicator<HighLowClose, ChannelValue> {
  readonly kind = 'donchian';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly highest: Extremum;
  private readonly lowest: Extremum;

  constructor(readonly period = 20) {
    super(CHANNEL_LINES);
    assertPeriod('donchian', 'period', period, 1);
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
    const lowest = this.lowest.extreme;
    writeChannel(this.out, highest, (highest + lowest) / 2, lowest, bar.close);
    return true;
  }
}
