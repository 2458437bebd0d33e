import type { HighLowClose } from '../bar.js';
import { isZero } from '../params.js';
import { Atr } from './atr.js';

/** Normalised ATR, TA-Lib NATR: ATR / close * 100 (0 if close is ~0). Scale-free. */
export class Natr extends Atr {
  override readonly kind: string = 'natr';

  protected override output(atr: number, bar: HighLowClose): number {
    return isZero(bar.close) ? 0 : (atr / bar.close) * 100;
  }
}
