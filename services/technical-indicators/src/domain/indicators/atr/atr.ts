import type { HighLowClose } from '../bar.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod, assertUnstable } from '../params.js';
import { TrueRange } from './true-range.js';

/**
 * Average true range, TA-Lib ATR: the SMA of the first `period` true ranges (bars 2..period+1),
 * then Wilder smoothing atr = (atr * (n - 1) + tr) / n. In price units.
 */
export class Atr extends Indicator<HighLowClose, number> {
  readonly kind: string = 'atr';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly trueRange = this.child(new TrueRange());
  private readonly s = this.scalars({ total: 0, atr: 0 });

  constructor(
    readonly period: number,
    readonly unstablePeriod = 0,
  ) {
    super();
    assertPeriod('atr', 'period', period, 1);
    assertUnstable('atr', unstablePeriod);
    this.params = { period, unstablePeriod };
    this.lookback = period + unstablePeriod;
  }

  protected compute(bar: HighLowClose, replace: boolean): boolean {
    if (!this.trueRange.advance(bar, replace)) return false;
    const range = this.trueRange.latest;
    const s = this.s;
    const period = this.period;
    if (this.count <= period) {
      s.total += range;
      return false;
    }
    if (this.count === period + 1) {
      s.atr = (s.total + range) / period;
    } else {
      s.atr *= period - 1;
      s.atr += range;
      s.atr /= period;
    }
    return this.emit(this.output(s.atr, bar));
  }

  protected output(atr: number, _bar: HighLowClose): number {
    return atr;
  }
}
