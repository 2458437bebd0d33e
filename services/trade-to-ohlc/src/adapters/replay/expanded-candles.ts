import { readBinanceCandles, sharedDataDir } from '@crypto-predict/core/market-data';
import { countExpansion, emptyExpansionStats, expandCandle, type ExpansionStats } from './candle-expansion.js';
import type { TradeSource } from './trade-source.js';

export interface ExpandedReplayOptions {
  /** Inclusive start, epoch ms (a candle's open time). */
  from: number;
  /** Exclusive end, epoch ms. */
  to: number;
  dataDir?: string;
  exchange?: string;
  stats?: ExpansionStats;
}

/**
 * Trades EXPANDED from the real Binance 1-minute candles (see candle-expansion.ts): synthetic
 * trades labelled `source: 'replay-expanded'` that aggregate back to the real candles. One batch
 * per candle, in time order.
 */
export async function* readExpandedCandles(options: ExpandedReplayOptions): TradeSource {
  const stats = options.stats ?? emptyExpansionStats();
  const exchange = options.exchange ?? 'binance';
  for await (const candle of readBinanceCandles(
    { from: options.from, to: options.to },
    options.dataDir ?? sharedDataDir(),
  )) {
    const expanded = expandCandle(candle, exchange);
    countExpansion(stats, expanded);
    if (expanded.trades.length > 0) yield expanded.trades;
  }
}
