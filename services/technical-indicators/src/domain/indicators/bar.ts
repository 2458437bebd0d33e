import type { Candle } from '@crypto-predict/core';

/** The parts of a candle that bar-based indicators read; a core Candle is one. */
export type Bar = Pick<
  Candle,
  'openTime' | 'open' | 'high' | 'low' | 'close' | 'volume' | 'vwap' | 'trades' | 'buyVolume' | 'sellVolume'
>;

export type HighLowClose = Pick<Candle, 'high' | 'low' | 'close'>;
export type HighLow = Pick<Candle, 'high' | 'low'>;
export type HighLowCloseVolume = Pick<Candle, 'high' | 'low' | 'close' | 'volume'>;

/** Which price of a bar a single-series indicator reads. */
export const PRICE_SOURCES = ['close', 'open', 'high', 'low', 'hl2', 'hlc3', 'ohlc4', 'vwap'] as const;
export type PriceSource = (typeof PRICE_SOURCES)[number];

/** The price a source names. hlc3 is computed as TA-Lib's TYPPRICE does: (h + l + c) / 3. */
export function priceOf(bar: Bar, source: PriceSource): number {
  switch (source) {
    case 'close':
      return bar.close;
    case 'open':
      return bar.open;
    case 'high':
      return bar.high;
    case 'low':
      return bar.low;
    case 'hl2':
      return (bar.high + bar.low) / 2;
    case 'hlc3':
      return (bar.high + bar.low + bar.close) / 3;
    case 'ohlc4':
      return (bar.open + bar.high + bar.low + bar.close) / 4;
    case 'vwap':
      return bar.vwap;
  }
}
