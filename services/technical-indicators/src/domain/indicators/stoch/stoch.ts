import type { HighLowClose } from '../bar.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { movingAverage, type MovingAverageType } from '../moving-average/moving-average.js';
import { assertPeriod } from '../params.js';
import { FastK } from './fast-k.js';

export type StochValue = {
  readonly k: number;
  readonly d: number;
};

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
    super();
    assertPeriod('stoch', 'fastK', fastK, 1);
    assertPeriod('stoch', 'slowK', slowK, 1);
    assertPeriod('stoch', 'slowD', slowD, 1);
    this.params = { fastK, slowK, slowD, ma };
    this.fastKLine = this.child(new FastK(fastK));
    this.slowKLine = this.child(movingAverage(ma, slowK));
    this.slowDLine = this.child(movingAverage(ma, slowD));
    this.lookback = fastK - 1 + this.slowKLine.lookback + this.slowDLine.lookback;
  }

  protected compute(bar: HighLowClose, replace: boolean): StochValue | undefined {
    const raw = Indicator.feed(this.fastKLine, bar, replace);
    if (raw === undefined) return undefined;
    const k = Indicator.feed(this.slowKLine, raw, replace);
    if (k === undefined) return undefined;
    const d = Indicator.feed(this.slowDLine, k, replace);
    if (d === undefined) return undefined;
    return { k, d };
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
    super();
    assertPeriod('stochf', 'fastK', fastK, 1);
    assertPeriod('stochf', 'fastD', fastD, 1);
    this.params = { fastK, fastD, ma };
    this.fastKLine = this.child(new FastK(fastK));
    this.fastDLine = this.child(movingAverage(ma, fastD));
    this.lookback = fastK - 1 + this.fastDLine.lookback;
  }

  protected compute(bar: HighLowClose, replace: boolean): StochValue | undefined {
    const k = Indicator.feed(this.fastKLine, bar, replace);
    if (k === undefined) return undefined;
    const d = Indicator.feed(this.fastDLine, k, replace);
    if (d === undefined) return undefined;
    return { k, d };
  }
}
