import { Dema } from '../dema/dema.js';
import { Ema } from '../ema/ema.js';
import { Indicator, type IndicatorParams } from '../indicator.js';
import { Kama } from '../kama/kama.js';
import { Sma } from '../sma/sma.js';
import { Tema } from '../tema/tema.js';
import { Wma } from '../wma/wma.js';

/** The moving averages TA-Lib's MA type parameter can name, by their TA-Lib MAType number. */
export const MOVING_AVERAGE_TYPES = { sma: 0, ema: 1, wma: 2, dema: 3, tema: 4, kama: 6 } as const;
export type MovingAverageType = keyof typeof MOVING_AVERAGE_TYPES;

/** TA-Lib's MA with period 1: the input itself. */
class Identity extends Indicator<number, number> {
  readonly kind = 'identity';
  readonly params: IndicatorParams = {};
  readonly lookback = 0;

  protected compute(value: number): boolean {
    return this.emit(value);
  }
}

/** TA-Lib's MA(type, period): a period of 1 is the input itself, whatever the type. */
export function movingAverage(type: MovingAverageType, period: number): Indicator<number, number> {
  if (period === 1) return new Identity();
  switch (type) {
    case 'sma':
      return new Sma(period);
    case 'ema':
      return new Ema(period);
    case 'wma':
      return new Wma(period);
    case 'dema':
      return new Dema(period);
    case 'tema':
      return new Tema(period);
    case 'kama':
      return new Kama(period);
  }
}
