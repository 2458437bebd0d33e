import { Indicator, type IndicatorParams } from '../indicator.js';
import type { MovingAverageType } from '../moving-average/moving-average.js';
import { Rsi } from '../rsi/rsi.js';
import { StochFast, type StochValue } from '../stoch/stoch.js';

const LINES = ['k', 'd'] as const;

/** Stochastic RSI, TA-Lib STOCHRSI: the fast stochastic (%K over `fastK`, %D = MA(fastD)) of RSI(period). 0..100. */
export class StochRsi extends Indicator<number, StochValue> {
  readonly kind = 'stochrsi';
  readonly params: IndicatorParams;
  readonly lookback: number;
  private readonly rsi: Rsi;
  private readonly stoch: StochFast;

  constructor(
    readonly period = 14,
    readonly fastK = 5,
    readonly fastD = 3,
    readonly ma: MovingAverageType = 'sma',
  ) {
    super(LINES);
    this.params = { period, fastK, fastD, ma };
    this.rsi = this.child(new Rsi(period));
    this.stoch = this.child(new StochFast(fastK, fastD, ma));
    this.lookback = this.rsi.lookback + this.stoch.lookback;
  }

  protected compute(value: number, replace: boolean): boolean {
    if (!this.rsi.advance(value, replace)) return false;
    const rsi = this.rsi.latest;
    if (!this.stoch.advance({ high: rsi, low: rsi, close: rsi }, replace)) return false;
    this.out.set(this.stoch.out); // the same lines, k and d
    return true;
  }
}
