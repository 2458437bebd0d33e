import type { Bar } from '../bar.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { Sum } from '../sum/sum.js';

type VolumeBar = Pick<Bar, 'volume' | 'buyVolume' | 'sellVolume'>;

export type SignedVolumeValue = {
  /** Σ (taker-buy − taker-sell) volume over the period, in base-currency units. */
  readonly volume: number;
  /** That net volume over the total volume: −1 (all sells) .. 1 (all buys); 0 with no volume. */
  readonly ratio: number;
};

const LINES = ['volume', 'ratio'] as const;

/** Signed (net taker) volume over `period` bars, rolling sums as TA-Lib SUM. */
export class SignedVolume extends Indicator<VolumeBar, SignedVolumeValue> {
  readonly kind = 'signed_volume';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly net: Sum;
  private readonly total: Sum;

  constructor(readonly period = 1) {
    super(LINES);
    this.params = { period };
    this.net = this.child(new Sum(period));
    this.total = this.child(new Sum(period));
    this.lookback = period - 1;
  }

  protected compute(bar: VolumeBar, replace: boolean): boolean {
    const netWarm = this.net.advance(bar.buyVolume - bar.sellVolume, replace);
    const totalWarm = this.total.advance(bar.volume, replace);
    if (!netWarm || !totalWarm) return false;
    const net = this.net.latest;
    const total = this.total.latest;
    this.out[0] = net; // LINES order
    this.out[1] = total > 0 ? net / total : 0;
    return true;
  }
}
