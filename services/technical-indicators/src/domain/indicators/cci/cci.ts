import type { HighLowClose } from '../bar.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { assertPeriod } from '../params.js';
import type { Window } from '../window.js';

/**
 * Commodity channel index, TA-Lib CCI: (tp − mean(tp)) / (0.015 × mean |tp − mean(tp)|) over the
 * typical price tp = (h + l + c) / 3. The mean deviation needs the whole window, so an update is
 * O(period); the window is summed in TA-Lib's circular-buffer order so the rounding agrees.
 */
export class Cci extends Indicator<HighLowClose, number> {
  readonly kind = 'cci';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly typical: Window;

  constructor(readonly period = 14) {
    super();
    assertPeriod('cci', 'period', period);
    this.params = { period };
    this.lookback = period - 1;
    this.typical = this.window(period);
  }

  protected compute(bar: HighLowClose, replace: boolean): boolean {
    const last = (bar.high + bar.low + bar.close) / 3;
    const typical = this.typical;
    typical.push(last, replace);
    if (!typical.full) return false;
    const period = this.period;
    let average = 0;
    for (let slot = 0; slot < period; slot += 1) average += typical.slot(slot);
    average /= period;
    let deviation = 0;
    for (let slot = 0; slot < period; slot += 1) deviation += Math.abs(typical.slot(slot) - average);
    const distance = last - average;
    return this.emit(distance !== 0 && deviation !== 0 ? distance / (0.015 * (deviation / period)) : 0);
  }
}
