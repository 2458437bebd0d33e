import type { HighLowClose } from '../bar.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod, isZero } from '../params.js';
import type { Window } from '../window.js';

/**
 * Ultimate oscillator, TA-Lib ULTOSC: 100 × (4·A₁ + 2·A₂ + A₃) / 7 with Aₖ = Σ(close − true low) /
 * Σ true range over the three periods (sorted, shortest weighted 4). The totals are primed when
 * the longest period fills and then kept running, as in TA-Lib. Scale-free (0..100).
 */
export class UltOsc extends Indicator<HighLowClose, number> {
  readonly kind = 'ultosc';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly periods: readonly [number, number, number];
  private readonly buying: Window;
  private readonly ranges: Window;
  private readonly s = this.scalars({ previousClose: 0, a1: 0, a2: 0, a3: 0, b1: 0, b2: 0, b3: 0 });

  constructor(
    readonly period1 = 7,
    readonly period2 = 14,
    readonly period3 = 28,
  ) {
    super();
    assertPeriod('ultosc', 'period1', period1, 1);
    assertPeriod('ultosc', 'period2', period2, 1);
    assertPeriod('ultosc', 'period3', period3, 1);
    this.params = { period1, period2, period3 };
    const [p1, p2, p3] = [period1, period2, period3].sort((a, b) => a - b) as [number, number, number];
    this.periods = [p1, p2, p3];
    this.lookback = p3;
    this.buying = this.window(p3);
    this.ranges = this.window(p3);
  }

  protected compute(bar: HighLowClose, replace: boolean): boolean {
    const s = this.s;
    const previousClose = s.previousClose;
    s.previousClose = bar.close;
    if (this.count === 1) return false;
    const trueLow = Math.min(bar.low, previousClose);
    const buying = bar.close - trueLow;
    let range = bar.high - bar.low;
    const toHigh = Math.abs(previousClose - bar.high);
    if (toHigh > range) range = toHigh;
    const toLow = Math.abs(previousClose - bar.low);
    if (toLow > range) range = toLow;
    this.buying.push(buying, replace);
    this.ranges.push(range, replace);
    const [p1, p2, p3] = this.periods;
    const index = this.count - 1;
    if (index < p3) return false;
    if (index === p3) {
      s.a1 = this.prime(this.buying, p1);
      s.a2 = this.prime(this.buying, p2);
      s.a3 = this.prime(this.buying, p3);
      s.b1 = this.prime(this.ranges, p1);
      s.b2 = this.prime(this.ranges, p2);
      s.b3 = this.prime(this.ranges, p3);
    }
    s.a1 += buying;
    s.a2 += buying;
    s.a3 += buying;
    s.b1 += range;
    s.b2 += range;
    s.b3 += range;
    let output = 0;
    if (!isZero(s.b1)) output += 4 * (s.a1 / s.b1);
    if (!isZero(s.b2)) output += 2 * (s.a2 / s.b2);
    if (!isZero(s.b3)) output += s.a3 / s.b3;
    s.a1 -= this.buying.fromNewest(p1 - 1);
    s.b1 -= this.ranges.fromNewest(p1 - 1);
    s.a2 -= this.buying.fromNewest(p2 - 1);
    s.b2 -= this.ranges.fromNewest(p2 - 1);
    s.a3 -= this.buying.fromNewest(p3 - 1);
    s.b3 -= this.ranges.fromNewest(p3 - 1);
    return this.emit(100 * (output / 7));
  }

  /** The total of the period − 1 terms before the newest, oldest first (TA-Lib's PRIME_TOTALS). */
  private prime(terms: Window, period: number): number {
    let total = 0;
    for (let age = period - 1; age >= 1; age -= 1) total += terms.fromNewest(age);
    return total;
  }
}
