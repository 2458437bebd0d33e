import { Ema } from '../ema/ema.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';

export type MacdValue = {
  readonly macd: number;
  readonly signal: number;
  readonly histogram: number;
};

const LINES = ['macd', 'signal', 'histogram'] as const;

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
    super(LINES);
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

  protected compute(value: number, replace: boolean): boolean {
    const slowWarm = this.slowEma.advance(value, replace);
    // The fast EMA only sees the last `fast` bars before the slow one's seed, as in TA-Lib.
    const fastWarm = this.count > this.slow - this.fast && this.fastEma.advance(value, replace);
    if (!slowWarm || !fastWarm) return false;
    const macd = this.fastEma.latest - this.slowEma.latest;
    if (!this.signalEma.advance(macd, replace)) return false;
    const signal = this.signalEma.latest;
    const out = this.out; // LINES order
    out[0] = macd;
    out[1] = signal;
    out[2] = macd - signal;
    return true;
  }
}
