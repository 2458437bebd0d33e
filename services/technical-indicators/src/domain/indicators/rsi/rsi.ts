import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod, assertUnstable, isZero } from '../params.js';

/**
 * Relative strength index, TA-Lib RSI: average gain and loss seeded by the plain mean of the first
 * `period` changes, then Wilder-smoothed (avg = (avg * (n - 1) + x) / n). 0 when both are ~0.
 */
export class Rsi extends Indicator<number, number> {
  readonly kind = 'rsi';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly s = this.scalars({ previous: 0, gain: 0, loss: 0 });

  constructor(
    readonly period: number,
    readonly unstablePeriod = 0,
  ) {
    super();
    assertPeriod('rsi', 'period', period);
    assertUnstable('rsi', unstablePeriod);
    this.params = { period, unstablePeriod };
    this.lookback = period + unstablePeriod;
  }

  protected compute(value: number): boolean {
    const s = this.s;
    const period = this.period;
    if (this.count === 1) {
      s.previous = value;
      return false;
    }
    const change = value - s.previous;
    s.previous = value;
    if (this.count <= period + 1) {
      if (change < 0) s.loss -= change;
      else s.gain += change;
      if (this.count <= period) return false;
      s.loss /= period;
      s.gain /= period;
    } else {
      s.loss *= period - 1;
      s.gain *= period - 1;
      if (change < 0) s.loss -= change;
      else s.gain += change;
      s.loss /= period;
      s.gain /= period;
    }
    const total = s.gain + s.loss;
    return this.emit(isZero(total) ? 0 : 100 * (s.gain / total));
  }
}
