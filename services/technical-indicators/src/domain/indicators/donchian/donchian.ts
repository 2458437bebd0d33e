import type { HighLowClose } from '../bar.js';
import { Extremum } from '../extremum/extremum.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { channel, type ChannelValue } from '../keltner/keltner.js';
import { assertPeriod } from '../params.js';

/** Donchian channel: highest high and lowest low of the last `period` bars (TA-Lib MAX/MIN), and their midpoint. */
export class Donchian extends Indicator<HighLowClose, ChannelValue> {
  readonly kind = 'donchian';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly highest: Extremum;
  private readonly lowest: Extremum;

  constructor(readonly period = 20) {
    super();
    assertPeriod('donchian', 'period', period, 1);
    this.params = { period };
    this.lookback = period - 1;
    this.highest = this.child(new Extremum(period, 'max'));
    this.lowest = this.child(new Extremum(period, 'min'));
  }

  protected compute(bar: HighLowClose, replace: boolean): ChannelValue | undefined {
    const highest = Indicator.feed(this.highest, bar.high, replace);
    const lowest = Indicator.feed(this.lowest, bar.low, replace);
    if (highest === undefined || lowest === undefined) return undefined;
    return channel(highest.value, (highest.value + lowest.value) / 2, lowest.value, bar.close);
  }
}
