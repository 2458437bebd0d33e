import type { Trade } from '@crypto-predict/core';

/**
 * What a window knows about its trades. Open and close remember the event time they were set at,
 * so an out-of-order trade still lands in the right place: open is the first trade by time (ties:
 * the one that arrived first), close the last by time (ties: the one that arrived last).
 * `notional` (Σ price·qty) is kept instead of the vwap so that windows merge exactly.
 */
export interface WindowStats {
  trades: number;
  open: number;
  openAt: number;
  high: number;
  low: number;
  close: number;
  closeAt: number;
  volume: number;
  notional: number;
  buyVolume: number;
  sellVolume: number;
}

type TradeFields = Pick<Trade, 'price' | 'qty' | 'side' | 'time'>;

export function statsOfTrade(trade: TradeFields): WindowStats {
  return {
    trades: 1,
    open: trade.price,
    openAt: trade.time,
    high: trade.price,
    low: trade.price,
    close: trade.price,
    closeAt: trade.time,
    volume: trade.qty,
    notional: trade.price * trade.qty,
    buyVolume: trade.side === 'buy' ? trade.qty : 0,
    sellVolume: trade.side === 'sell' ? trade.qty : 0,
  };
}

/** Adds a trade to a window, in place. The trade arrived after every trade already in it. */
export function addTrade(stats: WindowStats, trade: TradeFields): void {
  stats.trades += 1;
  if (trade.time < stats.openAt) {
    stats.open = trade.price;
    stats.openAt = trade.time;
  }
  if (trade.time >= stats.closeAt) {
    stats.close = trade.price;
    stats.closeAt = trade.time;
  }
  if (trade.price > stats.high) stats.high = trade.price;
  if (trade.price < stats.low) stats.low = trade.price;
  stats.volume += trade.qty;
  stats.notional += trade.price * trade.qty;
  if (trade.side === 'buy') stats.buyVolume += trade.qty;
  else stats.sellVolume += trade.qty;
}

/**
 * Merges the stats of a later window (or later arrivals) into an earlier one, returning a new
 * value. With `later` holding trades that arrived after `earlier`'s, this gives the same open,
 * high, low, close and count as adding the trades one by one; sums may differ in the last bits.
 */
export function mergeStats(earlier: WindowStats, later: WindowStats): WindowStats {
  const openFromLater = later.openAt < earlier.openAt;
  const closeFromLater = later.closeAt >= earlier.closeAt;
  return {
    trades: earlier.trades + later.trades,
    open: openFromLater ? later.open : earlier.open,
    openAt: openFromLater ? later.openAt : earlier.openAt,
    high: Math.max(earlier.high, later.high),
    low: Math.min(earlier.low, later.low),
    close: closeFromLater ? later.close : earlier.close,
    closeAt: closeFromLater ? later.closeAt : earlier.closeAt,
    volume: earlier.volume + later.volume,
    notional: earlier.notional + later.notional,
    buyVolume: earlier.buyVolume + later.buyVolume,
    sellVolume: earlier.sellVolume + later.sellVolume,
  };
}

/** The volume-weighted average price, kept inside [low, high] against rounding in the last bit. */
export function vwapOf(stats: WindowStats): number {
  const vwap = stats.notional / stats.volume;
  return Math.min(stats.high, Math.max(stats.low, vwap));
}
