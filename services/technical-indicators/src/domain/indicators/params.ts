/** Rejects a period outside [min, 100000] (TA-Lib's range) with a message naming the indicator. */
export function assertPeriod(kind: string, name: string, period: number, min = 2): void {
  if (!Number.isInteger(period) || period < min || period > 100_000) {
    throw new RangeError(`${kind}: ${name} must be an integer in [${min}, 100000], got ${period}`);
  }
}

/** TA-Lib's unstable period: extra bars whose values are computed but not returned. */
export function assertUnstable(kind: string, unstablePeriod: number): void {
  if (!Number.isInteger(unstablePeriod) || unstablePeriod < 0) {
    throw new RangeError(`${kind}: unstablePeriod must be a non-negative integer, got ${unstablePeriod}`);
  }
}

/** TA-Lib's TA_IS_ZERO: |v| below 1e-14. */
export function isZero(value: number): boolean {
  return -1e-14 < value && value < 1e-14;
}

/** TA-Lib's TA_IS_ZERO_OR_NEG: v below 1e-14. */
export function isZeroOrNegative(value: number): boolean {
  return value < 1e-14;
}

/** TA-Lib's PER_TO_K: the EMA smoothing factor 2 / (period + 1). */
export function emaK(period: number): number {
  return 2 / (period + 1);
}
