import { Ema } from '../ema/ema.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';

/** Double EMA, TA-Lib DEMA: 2 × EMA(x) − EMA(EMA(x)), each EMA seeded by its first SMA. */
export class Dema extends Indicator<number, number> {
  readonly kind = 'dema';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly first: Ema;
  private readonly second: Ema;

  constructor(readonly period: number) {
    super();
    assertPeriod('dema', 'period', period);
    this.params = { period };
    this.lookback = 2 * (period - 1);
    this.first = this.child(new Ema(period));
    this.second = this.child(new Ema(period));
  }

  protected compute(value: number, replace: boolean): boolean {
    if (!this.first.advance(value, replace)) return false;
    const first = this.first.latest;
    if (!this.second.advance(first, replace)) return false;
    return this.emit(2 * first - this.second.latest);
  }
}
