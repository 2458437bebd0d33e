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

  protected compute(bar: HighLowClose, replace: boolean): boolean {
    const dm = this.movement;
    if (!dm.advance(bar, replace)) return false;
    const trueRange = dm.trueRange;
    return this.emit(isZero(trueRange) ? 0 : 100 * (dm.plusDm / trueRange));
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

  protected compute(bar: HighLowClose, replace: boolean): boolean {
    const dm = this.movement;
    if (!dm.advance(bar, replace)) return false;
    const trueRange = dm.trueRange;
    return this.emit(isZero(trueRange) ? 0 : 100 * (dm.minusDm / trueRange));
  }
}

/** DX of one bar, or NaN where TA-Lib skips it (TR or +DI + −DI ~0). */
function directionalIndex(dm: DirectionalMovement): number {
  const trueRange = dm.trueRange;
  if (isZero(trueRange)) return Number.NaN;
  const minusDi = 100 * (dm.minusDm / trueRange);
  const plusDi = 100 * (dm.plusDm / trueRange);
  const total = minusDi + plusDi;
  if (isZero(total)) return Number.NaN;
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

  protected compute(bar: HighLowClose, replace: boolean): boolean {
    if (!this.movement.advance(bar, replace)) return false;
    const dx = directionalIndex(this.movement);
    if (!Number.isNaN(dx)) this.s.dx = dx;
    return this.emit(this.s.dx);
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

  protected compute(bar: HighLowClose, replace: boolean): boolean {
    if (!this.movement.advance(bar, replace)) return false;
    const s = this.s;
    const period = this.period;
    const dx = directionalIndex(this.movement);
    const skipped = Number.isNaN(dx);
    const index = this.count - 1;
    if (index < 2 * period - 1) {
      if (!skipped) s.sumDx += dx;
      return false;
    }
    if (index === 2 * period - 1) {
      if (!skipped) s.sumDx += dx;
      s.adx = s.sumDx / period;
    } else if (!skipped) {
      s.adx = (s.adx * (period - 1) + dx) / period;
    }
    return this.emit(s.adx);
  }
}
