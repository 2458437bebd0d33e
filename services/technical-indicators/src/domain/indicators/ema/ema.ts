import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod, assertUnstable, emaK } from '../params.js';

/**
 * Exponential moving average, TA-Lib EMA in its default compatibility: seeded with the SMA of the
 * first `period` values (summed in order), then ema += (x - ema) * k with k = 2 / (period + 1).
 */
export class Ema extends Indicator<number, number> {
  readonly kind = 'ema';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly k: number;
  private readonly s = this.scalars({ total: 0, ema: 0 });

  constructor(
    readonly period: number,
    readonly unstablePeriod = 0,
  ) {
    super();
    assertPeriod('ema', 'period', period, 1);
    assertUnstable('ema', unstablePeriod);
    this.params = { period, unstablePeriod };
    this.lookback = period - 1 + unstablePeriod;
    this.k = emaK(period);
  }

  protected compute(value: number): boolean {
    const s = this.s;
    if (this.count < this.period) {
      s.total += value;
      return false;
    }
    if (this.count === this.period) {
      s.ema = (s.total + value) / this.period;
    } else {
      s.ema = (value - s.ema) * this.k + s.ema;
    }
    return this.emit(s.ema);
  }
}
