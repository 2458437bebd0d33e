import type { HighLowClose } from '../bar.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertUnstable, isZero } from '../params.js';
import { DirectionalMovement } from './directional-movement.js';

/** +DI, TA-Lib PLUS_DI: 100 × smoothed +DM / smoothed TR (0 when TR is ~0). 0..100. */
export class PlusDi extends Indicator<HighLowClose, number> {
  readonly kind = 'plus_di';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly movement: DirectionalMovement;

  constructor(
    readonly period = 14,
    readonly unstablePeriod = 0,
  ) {
    super();
    assertUnstable('plus_di', unstablePeriod);
    this.params = { period, unstablePeriod };
    this.movement = this.child(new DirectionalMovement(period));
    this.lookback = period + unstablePeriod;
  }

  protected compute(bar: HighLowClose, replace: boolean): number | undefined {
    const dm = Indicator.feed(this.movement, bar, replace);
    if (dm === undefined) return undefined;
    return isZero(dm.trueRange) ? 0 : 100 * (dm.plusDm / dm.trueRange);
  }
}

/** −DI, TA-Lib MINUS_DI: 100 × smoothed −DM / smoothed TR (0 when TR is ~0). 0..100. */
export class MinusDi extends Indicator<HighLowClose, number> {
  readonly kind = 'minus_di';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly movement: DirectionalMovement;

  constructor(
    readonly period = 14,
    readonly unstablePeriod = 0,
  ) {
    super();
    assertUnstable('minus_di', unstablePeriod);
    this.params = { period, unstablePeriod };
    this.movement = this.child(new DirectionalMovement(period));
    this.lookback = period + unstablePeriod;
  }

  protected compute(bar: HighLowClose, replace: boolean): number | undefined {
    const dm = Indicator.feed(this.movement, bar, replace);
    if (dm === undefined) return undefined;
    return isZero(dm.trueRange) ? 0 : 100 * (dm.minusDm / dm.trueRange);
  }
}

/** DX of one bar, or undefined where TA-Lib skips it (TR or +DI + −DI ~0). */
function directionalIndex(dm: { plusDm: number; minusDm: number; trueRange: number }): number | undefined {
  if (isZero(dm.trueRange)) return undefined;
  const minusDi = 100 * (dm.minusDm / dm.trueRange);
  const plusDi = 100 * (dm.plusDm / dm.trueRange);
  const total = minusDi + plusDi;
  if (isZero(total)) return undefined;
  return 100 * (Math.abs(minusDi - plusDi) / total);
}

/** DX, TA-Lib DX: 100 × |+DI − −DI| / (+DI + −DI); where undefined, the previous value (0 at first). */
export class Dx extends Indicator<HighLowClose, number> {
  readonly kind = 'dx';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly movement: DirectionalMovement;
  private readonly s = this.scalars({ dx: 0 });

  constructor(
    readonly period = 14,
    readonly unstablePeriod = 0,
  ) {
    super();
    assertUnstable('dx', unstablePeriod);
    this.params = { period, unstablePeriod };
    this.movement = this.child(new DirectionalMovement(period));
    this.lookback = period + unstablePeriod;
  }

  protected compute(bar: HighLowClose, replace: boolean): number | undefined {
    const dm = Indicator.feed(this.movement, bar, replace);
    if (dm === undefined) return undefined;
    const dx = directionalIndex(dm);
    if (dx !== undefined) this.s.dx = dx;
    return this.s.dx;
  }
}

/**
 * ADX, TA-Lib ADX: the mean of the first `period` DX values (bars where DX is undefined add
 * nothing), then Wilder-smoothed adx = (adx × (n − 1) + dx) / n, unchanged where DX is undefined.
 */
export class Adx extends Indicator<HighLowClose, number> {
  readonly kind = 'adx';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly movement: DirectionalMovement;
  private readonly s = this.scalars({ sumDx: 0, adx: 0 });

  constructor(
    readonly period = 14,
    readonly unstablePeriod = 0,
  ) {
    super();
    assertUnstable('adx', unstablePeriod);
    this.params = { period, unstablePeriod };
    this.movement = this.child(new DirectionalMovement(period));
    this.lookback = 2 * period - 1 + unstablePeriod;
  }

  protected compute(bar: HighLowClose, replace: boolean): number | undefined {
    const dm = Indicator.feed(this.movement, bar, replace);
    if (dm === undefined) return undefined;
    const s = this.s;
    const period = this.period;
    const dx = directionalIndex(dm);
    const index = this.count - 1;
    if (index < 2 * period - 1) {
      if (dx !== undefined) s.sumDx += dx;
      return undefined;
    }
    if (index === 2 * period - 1) {
      if (dx !== undefined) s.sumDx += dx;
      s.adx = s.sumDx / period;
    } else if (dx !== undefined) {
      s.adx = (s.adx * (period - 1) + dx) / period;
    }
    return s.adx;
  }
}
