import type { PredictionError } from '@crypto-predict/core';

/**
 * Error metrics of the model and of the naive last-price forecast over the trailing window
 * `(time − window, time]` of target times. Prices are in the pair's quote currency.
 */
export interface MetricPoint {
  /** End of the window, epoch ms (a target time). */
  time: number;
  /** Scored records in the window. */
  count: number;
  /** Records in the window whose actual never arrived (not in the averages). */
  missing: number;
  /** Null when the window holds only missing actuals. */
  mae: number | null;
  naiveMae: number | null;
  rmse: number | null;
  naiveRmse: number | null;
  /** MAE / naive MAE (below 1 beats naive); null when naive's MAE is 0 or unknown. */
  maeRatio: number | null;
  /** Share of actuals inside the interval; null with no interval outcome in the window. */
  coverage: number | null;
}

export interface MetricSeriesOptions {
  windowMs: number;
  /** A point is made at every multiple of the step (epoch-aligned), and at the newest target time. */
  stepMs: number;
}

/**
 * The rolling metrics of one series of error records (one pair and horizon) sorted by target
 * time, as points along the records' own time line: a point at every step and one at the newest
 * target time, whose window ends there. Steps whose window holds no record make no point (a gap in
 * the data stays a gap in the chart). One pass with running sums: O(records + points).
 */
export function rollingMetricSeries(records: readonly PredictionError[], options: MetricSeriesOptions): MetricPoint[] {
  if (!(options.windowMs > 0) || !(options.stepMs > 0)) throw new RangeError('window and step must be positive');
  const first = records[0];
  const last = records[records.length - 1];
  if (first === undefined || last === undefined) return [];

  const sums = new WindowSums();
  const points: MetricPoint[] = [];
  let head = 0; // next record to enter the window
  let tail = 0; // oldest record still in the window
  const emit = (time: number): void => {
    while (head < records.length) {
      const record = records[head];
      if (record === undefined || record.targetTime > time) break;
      sums.add(record, 1);
      head += 1;
    }
    while (tail < head) {
      const record = records[tail];
      if (record === undefined || record.targetTime > time - options.windowMs) break;
      sums.add(record, -1);
      tail += 1;
    }
    const point = sums.point(time);
    if (point !== null) points.push(point);
  };

  for (let time = Math.ceil(first.targetTime / options.stepMs) * options.stepMs; time < last.targetTime;) {
    emit(time);
    time += options.stepMs;
  }
  emit(last.targetTime);
  return points;
}

/** Running sums over the records in a window; `sign` −1 takes a record out again. */
class WindowSums {
  private scored = 0;
  private missing = 0;
  private absError = 0;
  private squaredError = 0;
  private naiveAbsError = 0;
  private naiveSquaredError = 0;
  private intervalOutcomes = 0;
  private covered = 0;

  add(record: PredictionError, sign: 1 | -1): void {
    if (record.status === 'actual-missing') {
      this.missing += sign;
      return;
    }
    if (record.absError === null || record.squaredError === null || record.naiveAbsError === null) return;
    this.scored += sign;
    this.absError += sign * record.absError;
    this.squaredError += sign * record.squaredError;
    this.naiveAbsError += sign * record.naiveAbsError;
    this.naiveSquaredError += sign * record.naiveAbsError * record.naiveAbsError;
    if (record.inInterval !== null) {
      this.intervalOutcomes += sign;
      if (record.inInterval) this.covered += sign;
    }
    if (this.scored === 0) {
      // An empty window starts again from exact zeros, so rounding never accumulates.
      this.absError = 0;
      this.squaredError = 0;
      this.naiveAbsError = 0;
      this.naiveSquaredError = 0;
    }
  }

  point(time: number): MetricPoint | null {
    if (this.scored === 0 && this.missing === 0) return null;
    const n = this.scored;
    const mae = n === 0 ? null : this.absError / n;
    const naiveMae = n === 0 ? null : this.naiveAbsError / n;
    return {
      time,
      count: n,
      missing: this.missing,
      mae,
      naiveMae,
      rmse: n === 0 ? null : Math.sqrt(Math.max(0, this.squaredError / n)),
      naiveRmse: n === 0 ? null : Math.sqrt(Math.max(0, this.naiveSquaredError / n)),
      maeRatio: mae !== null && naiveMae !== null && naiveMae > 0 ? mae / naiveMae : null,
      coverage: this.intervalOutcomes === 0 ? null : this.covered / this.intervalOutcomes,
    };
  }
}
