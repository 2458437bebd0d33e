import type { Bar } from '../bar.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { isZeroOrNegative } from '../params.js';
import { MeanVariance } from '../stddev/mean-variance.js';

type TradesBar = Pick<Bar, 'trades'>;

/**
 * Trade-count z-score: (trades − mean) / population std of the trade counts of the last `period`
 * bars, the current one included (TA-Lib SMA and STDDEV arithmetic); 0 when the count was constant.
 * Scale-free: it compares activity with its own recent level, whatever the market's regime.
 */
export class TradeCountZScore extends Indicator<TradesBar, number> {
  readonly kind = 'trade_count_zscore';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly moments: MeanVariance;

  constructor(readonly period = 60) {
    super();
    this.params = { period };
    this.moments = this.child(new MeanVariance(period));
    this.lookback = period - 1;
  }

  protected compute(bar: TradesBar, replace: boolean): boolean {
    const moments = this.moments;
    if (!moments.advance(bar.trades, replace)) return false;
    const variance = moments.variance;
    return this.emit(isZeroOrNegative(variance) ? 0 : (bar.trades - moments.mean) / Math.sqrt(variance));
  }
}
