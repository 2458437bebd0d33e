import { Ema } from '../ema/ema.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';

/** TRIX, TA-Lib TRIX: the 1-bar rate of change (in %) of a triple-smoothed EMA. Scale-free. */
export class Trix extends Indicator<number, number> {
  readonly kind = 'trix';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly first: Ema;
  private readonly second: Ema;
  private readonly third: Ema;
  private readonly s = this.scalars({ previous: Number.NaN });

  constructor(readonly period: number) {
    super();
    assertPeriod('trix', 'period', period, 1);
    this.params = { period };
    this.lookback = 3 * (period - 1) + 1;
    this.first = this.child(new Ema(period));
    this.second = this.child(new Ema(period));
    this.third = this.child(new Ema(period));
  }

  protected compute(value: number, replace: boolean): boolean {
    if (!this.first.advance(value, replace)) return false;
    if (!this.second.advance(this.first.latest, replace)) return false;
    if (!this.third.advance(this.second.latest, replace)) return false;
    const third = this.third.latest;
    const previous = this.s.previous;
    this.s.previous = third;
    if (Number.isNaN(previous)) return false;
    return this.emit(previous !== 0 ? (third / previous - 1) * 100 : 0);
  }
}
