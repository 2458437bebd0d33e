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

  protected compute(value: number, replace: boolean): number | undefined {
    const first = Indicator.feed(this.first, value, replace);
    if (first === undefined) return undefined;
    const second = Indicator.feed(this.second, first, replace);
    if (second === undefined) return undefined;
    return 2 * first - second;
  }
}
