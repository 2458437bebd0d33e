import type { HighLowClose } from '../bar.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { movingAverage, type MovingAverageType } from '../moving-average/moving-average.js';
import { assertPeriod } from '../params.js';
import { FastK } from './fast-k.js';

export type StochValue = {
  readonly k: number;
  readonly d: number;
};

const LINES = ['k', 'd'] as const;

/**
 * Slow stochastic, TA-Lib STOCH: %K = MA(slowK) of the raw %K over `fastK` bars, %D = MA(slowD)
 * of %K; both lines appear together. Defaults are TA-Lib's (5, 3 SMA, 3 SMA). Scale-free (0..100).
 */
export class Stoch extends Indicator<HighLowClose, StochValue> {
  readonly kind = 'stoch';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly fastKLine: FastK;
  private readonly slowKLine: Indicator<number, number>;
  private readonly slowDLine: Indicator<number, number>;

  constructor(
    readonly fastK = 5,
    readonly slowK = 3,
    readonly slowD = 3,
    readonly ma: MovingAverageType = 'sma',
  ) {
    super(LINES);
    assertPeriod('stoch', 'fastK', fastK, 1);
    assertPeriod('stoch', 'slowK', slowK, 1);
    assertPeriod('stoch', 'slowD', slowD, 1);
    this.params = { fastK, slowK, slowD, ma };
    this.fastKLine = this.child(new FastK(fastK));
    this.slowKLine = this.child(movingAverage(ma, slowK));
    this.slowDLine = this.child(movingAverage(ma, slowD));
    this.lookback = fastK - 1 + this.slowKLine.lookback + this.slowDLine.lookback;
  }

  protected compute(bar: HighLowClose, replace: boolean): boolean {
    if (!this.fastKLine.advance(bar, replace)) return false;
    if (!this.slowKLine.advance(this.fastKLine.latest, replace)) return false;
    const k = this.slowKLine.latest;
    if (!this.slowDLine.advance(k, replace)) return false;
    this.out[0] = k; // LINES order
    this.out[1] = this.slowDLine.latest;
    return true;
  }
}

/** Fast stochastic, TA-Lib STOCHF: the raw %K and %D = MA(fastD) of it, appearing together. */
export class StochFast extends Indicator<HighLowClose, StochValue> {
  readonly kind = 'stochf';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly fastKLine: FastK;
  private readonly fastDLine: Indicator<number, number>;

  constructor(
    readonly fastK = 5,
    readonly fastD = 3,
    readonly ma: MovingAverageType = 'sma',
  ) {
    super(LINES);
    assertPeriod('stochf', 'fastK', fastK, 1);
    assertPeriod('stochf', 'fastD', fastD, 1);
    this.params = { fastK, fastD, ma };
    this.fastKLine = this.child(new FastK(fastK));
    this.fastDLine = this.child(movingAverage(ma, fastD));
    this.lookback = fastK - 1 + this.fastDLine.lookback;
  }

  protected compute(bar: HighLowClose, replace: boolean): boolean {
    if (!this.fastKLine.advance(bar, replace)) return false;
    const k = this.fastKLine.latest;
    if (!this.fastDLine.advance(k, replace)) return false;
    this.out[0] = k; // LINES order
    this.out[1] = this.fastDLine.latest;
    return true;
  }
}
