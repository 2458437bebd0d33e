import type { Bar } from '../bar.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { Sum } from '../sum/sum.js';

type VolumeBar = Pick<Bar, 'volume' | 'buyVolume'>;

/**
 * Taker-buy ratio: Σ taker-buy volume / Σ volume over `period` bars (rolling sums as TA-Lib SUM);
 * 0.5, neutral, when there was no volume. Scale-free (0..1).
 */
export class TakerBuyRatio extends Indicator<VolumeBar, number> {
  readonly kind = 'taker_buy_ratio';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly buy: Sum;
  private readonly total: Sum;

  constructor(readonly period = 1) {
    super();
    this.params = { period };
    this.buy = this.child(new Sum(period));
    this.total = this.child(new Sum(period));
    this.lookback = period - 1;
  }

  protected compute(bar: VolumeBar, replace: boolean): boolean {
    const buyWarm = this.buy.advance(bar.buyVolume, replace);
    const totalWarm = this.total.advance(bar.volume, replace);
    if (!buyWarm || !totalWarm) return false;
    const total = this.total.latest;
    return this.emit(total > 0 ? this.buy.latest / total : 0.5);
  }
}
