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

/** The lines of a channel (Keltner, Donchian), in `out` order. */
export const CHANNEL_LINES = ['upper', 'middle', 'lower', 'width', 'position'] as const;

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
    super(CHANNEL_LINES);
    if (!(multiplier > 0)) throw new RangeError('keltner: multiplier must be positive');
    this.params = { period, atrPeriod, multiplier };
    this.ema = this.child(new Ema(period));
    this.atr = this.child(new Atr(atrPeriod));
    this.lookback = Math.max(this.ema.lookback, this.atr.lookback);
  }

  protected compute(bar: HighLowClose, replace: boolean): boolean {
    const emaWarm = this.ema.advance(bar.close, replace);
    const atrWarm = this.atr.advance(bar, replace);
    if (!emaWarm || !atrWarm) return false;
    const middle = this.ema.latest;
    const offset = this.multiplier * this.atr.latest;
    writeChannel(this.out, middle + offset, middle, middle - offset, bar.close);
    return true;
  }
}

/** Writes a channel's lines (CHANNEL_LINES order) from its bands and the close. */
export function writeChannel(out: Float64Array, upper: number, middle: number, lower: number, close: number): void {
  const range = upper - lower;
  out[0] = upper;
  out[1] = middle;
  out[2] = lower;
  out[3] = middle !== 0 ? range / middle : 0;
  out[4] = range > 0 ? (close - lower) / range : 0.5;
}
