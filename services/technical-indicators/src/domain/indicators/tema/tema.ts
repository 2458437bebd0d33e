import { Ema } from '../ema/ema.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';

/** Triple EMA, TA-Lib TEMA: EMA3 + (3 × EMA1 − 3 × EMA2), in TA-Lib's order of operations. */
export class Tema extends Indicator<number, number> {
  readonly kind = 'tema';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly first: Ema;
  private readonly second: Ema;
  private readonly third: Ema;

  constructor(readonly period: number) {
    super();
    assertPeriod('tema', 'period', period);
    this.params = { period };
    this.lookback = 3 * (period - 1);
    this.first = this.child(new Ema(period));
    this.second = this.child(new Ema(period));
    this.third = this.child(new Ema(period));
  }

  protected compute(value: number, replace: boolean): boolean {
    if (!this.first.advance(value, replace)) return false;
    const first = this.first.latest;
    if (!this.second.advance(first, replace)) return false;
    const second = this.second.latest;
    if (!this.third.advance(second, replace)) return false;
    return this.emit(this.third.latest + (3 * first - 3 * second));
  }
}
