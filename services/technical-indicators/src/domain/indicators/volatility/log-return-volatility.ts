import { Indicator, type IndicatorParams } from '../indicator.js';
import { LogReturn } from '../log-return/log-return.js';
import { StdDev } from '../stddev/stddev.js';

/**
 * Rolling volatility: the population standard deviation (TA-Lib STDDEV's arithmetic) of the last
 * `period` one-bar log returns. Not annualised: a per-bar volatility, in log-return units.
 */
export class LogReturnVolatility extends Indicator<number, number> {
  readonly kind = 'log_return_volatility';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly logReturn = this.child(new LogReturn(1));
  private readonly deviation: StdDev;

  constructor(readonly period: number) {
    super();
    this.params = { period };
    this.deviation = this.child(new StdDev(period));
    this.lookback = period;
  }

  protected compute(value: number, replace: boolean): boolean {
    if (!this.logReturn.advance(value, replace)) return false;
    if (!this.deviation.advance(this.logReturn.latest, replace)) return false;
    return this.emit(this.deviation.latest);
  }
}
