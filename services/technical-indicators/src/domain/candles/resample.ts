import { timeframeMs, type Candle } from '@crypto-predict/core';

/**
 * Aggregates consecutive candles (e.g. Binance's 1-minute files) into a longer timeframe: open of
 * the first, close of the last, extreme high and low, summed volumes and trades, volume-weighted
 * vwap. A window is emitted once a later window starts (or at `flush`), from the minutes it has;
 * a window with no minutes at all is not emitted, and the feature engine fills it as empty.
 */
export class CandleResampler {
  private readonly step: number;
  private open: Candle | undefined;
  private priceVolume = 0;

  constructor(readonly timeframe: string) {
    this.step = timeframeMs(timeframe);
  }

  /** Adds a shorter candle; returns the window it completed, if any. */
  push(candle: Candle): Candle | undefined {
    const start = Math.floor(candle.openTime / this.step) * this.step;
    let done: Candle | undefined;
    if (this.open !== undefined && this.open.openTime !== start) done = this.flush();
    if (this.open === undefined) {
      this.open = { ...candle, timeframe: this.timeframe, openTime: start, closeTime: start + this.step, revision: 0 };
      this.priceVolume = candle.vwap * candle.volume;
      return done;
    }
    const open = this.open;
    this.open = {
      ...open,
      high: Math.max(open.high, candle.high),
      low: Math.min(open.low, candle.low),
      close: candle.close,
      volume: open.volume + candle.volume,
      trades: open.trades + candle.trades,
      buyVolume: open.buyVolume + candle.buyVolume,
      sellVolume: open.sellVolume + candle.sellVolume,
      empty: open.empty && candle.empty,
    };
    this.priceVolume += candle.vwap * candle.volume;
    return done;
  }

  /** Emits the window in progress. */
  flush(): Candle | undefined {
    const open = this.open;
    this.open = undefined;
    if (open === undefined) return undefined;
    return { ...open, vwap: open.volume > 0 ? this.priceVolume / open.volume : open.close };
  }
}
