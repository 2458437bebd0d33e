import { Atr } from '../atr/atr.js';
import type { HighLowClose } from '../bar.js';
import { Ema } from '../ema/ema.js';
import { Indicator, type IndicatorParams } from '../indicator.js';

export type ChannelValue = {
  readonly upper: number;
  readonly middle: number;
  readonly lower: number;
  /** (upper − lower) / middle. */
  readonly width: number;
  /** (close − lower) / (upper − lower): 0 at the lower, 1 at the upper line (0.5 if flat). */
  readonly position: number;
};

/** Keltner channel (Raschke's): EMA(close, period) ± multiplier × ATR(atrPeriod), both TA-Lib's. */
export class Keltner extends Indicator<HighLowClose, ChannelValue> {
  readonly kind = 'keltner';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly ema: Ema;
  private readonly atr: Atr;

  constructor(
    readonly period = 20,
    readonly atrPeriod = 10,
    readonly multiplier = 2,
  ) {
    super();
    if (!(multiplier > 0)) throw new RangeError('keltner: multiplier must be positive');
    this.params = { period, atrPeriod, multiplier };
    this.ema = this.child(new Ema(period));
    this.atr = this.child(new Atr(atrPeriod));
    this.lookback = Math.max(this.ema.lookback, this.atr.lookback);
  }

  protected compute(bar: HighLowClose, replace: boolean): ChannelValue | undefined {
    const middle = Indicator.feed(this.ema, bar.close, replace);
    const atr = Indicator.feed(this.atr, bar, replace);
    if (middle === undefined || atr === undefined) return undefined;
    const offset = this.multiplier * atr;
    return channel(middle + offset, middle, middle - offset, bar.close);
  }
}

export function channel(upper: number, middle: number, lower: number, close: number): ChannelValue {
  const range = upper - lower;
  return {
    upper,
    middle,
    lower,
    width: middle !== 0 ? range / middle : 0,
    position: range > 0 ? (close - lower) / range : 0.5,
  };
}
