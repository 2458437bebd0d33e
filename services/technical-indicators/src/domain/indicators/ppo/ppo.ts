import { Indicator, type IndicatorParams } from '../indicator.js';
import { movingAverage, type MovingAverageType } from '../moving-average/moving-average.js';
import { assertPeriod, isZero } from '../params.js';

/**
 * Percentage price oscillator, TA-Lib PPO: (MA_fast − MA_slow) / MA_slow × 100, both averages
 * started at the first bar (unlike MACD's alignment). Scale-free. `ma` is TA-Lib's MA type;
 * TA-Lib defaults to SMA, this project to EMA (the usual PPO), said in the config.
 */
export class Ppo extends Indicator<number, number> {
  readonly kind: string = 'ppo';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly fastMa: Indicator<number, number>;
  private readonly slowMa: Indicator<number, number>;

  constructor(
    readonly fast = 12,
    readonly slow = 26,
    readonly ma: MovingAverageType = 'ema',
  ) {
    super();
    assertPeriod('ppo', 'fast', fast);
    assertPeriod('ppo', 'slow', slow);
    if (fast >= slow) throw new RangeError(`ppo: fast (${fast}) must be shorter than slow (${slow})`);
    this.params = { fast, slow, ma };
    this.fastMa = this.child(movingAverage(ma, fast));
    this.slowMa = this.child(movingAverage(ma, slow));
    this.lookback = this.slowMa.lookback;
  }

  protected compute(value: number, replace: boolean): boolean {
    const fastWarm = this.fastMa.advance(value, replace);
    const slowWarm = this.slowMa.advance(value, replace);
    if (!fastWarm || !slowWarm) return false;
    return this.emit(this.combine(this.fastMa.latest, this.slowMa.latest));
  }

  protected combine(fast: number, slow: number): number {
    return isZero(slow) ? 0 : ((fast - slow) / slow) * 100;
  }
}

/** Absolute price oscillator, TA-Lib APO: MA_fast − MA_slow. In price units. */
export class Apo extends Ppo {
  override readonly kind: string = 'apo';

  protected override combine(fast: number, slow: number): number {
    return fast - slow;
  }
}
