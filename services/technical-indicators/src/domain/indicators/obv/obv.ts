import { Indicator, type IndicatorParams } from '../indicator.js';

export interface PriceVolume {
  readonly price: number;
  readonly volume: number;
}

/**
 * On-balance volume, TA-Lib OBV: starts at the first bar's volume, then adds the volume of an up
 * bar and subtracts that of a down bar. A cumulative volume level, not scale-free.
 */
export class Obv extends Indicator<PriceVolume, number> {
  readonly kind = 'obv';
  readonly params: IndicatorParams = {};
  readonly lookback = 0;
  private readonly s = this.scalars({ obv: 0, previous: 0 });

  protected compute(input: PriceVolume): boolean {
    const s = this.s;
    if (this.count === 1) {
      s.obv = input.volume;
    } else if (input.price > s.previous) {
      s.obv += input.volume;
    } else if (input.price < s.previous) {
      s.obv -= input.volume;
    }
    s.previous = input.price;
    return this.emit(s.obv);
  }
}
