import { Ema } from '../ema/ema.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';

export type MacdValue = {
  readonly macd: number;
  readonly signal: number;
  readonly histogram: number;
};

/**
 * MACD, TA-Lib MACD: both EMAs start at the bar where the slow one is seeded, so the fast EMA is
 * seeded with the SMA of the `fast` values that end there (TA-Lib's alignment), not of the first
 * `fast` values. The signal is the EMA of the MACD line; all three lines appear together after
 * (slow - 1) + (signal - 1) bars. In price units.
 */
export class Macd extends Indicator<number, MacdValue> {
  readonly kind = 'macd';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly fastEma: Ema;
  private readonly slowEma: Ema;
  private readonly signalEma: Ema;

  constructor(
    readonly fast = 12,
    readonly slow = 26,
    readonly signal = 9,
  ) {
    super();
    assertPeriod('macd', 'fast', fast);
    assertPeriod('macd', 'slow', slow);
    assertPeriod('macd', 'signal', signal);
    if (fast >= slow) throw new RangeError(`macd: fast (${fast}) must be shorter than slow (${slow})`);
    this.params = { fast, slow, signal };
    this.lookback = slow - 1 + (signal - 1);
    this.fastEma = this.child(new Ema(fast));
    this.slowEma = this.child(new Ema(slow));
    this.signalEma = this.child(new Ema(signal));
  }

  protected compute(value: number, replace: boolean): MacdValue | undefined {
    const slow = Indicator.feed(this.slowEma, value, replace);
    // The fast EMA only sees the last `fast` bars before the slow one's seed, as in TA-Lib.
    const fast = this.count > this.slow - this.fast ? Indicator.feed(this.fastEma, value, replace) : undefined;
    if (slow === undefined || fast === undefined) return undefined;
    const macd = fast - slow;
    const signal = Indicator.feed(this.signalEma, macd, replace);
    if (signal === undefined) return undefined;
    return { macd, signal, histogram: macd - signal };
  }
}
