import type { Candle, Trade } from '@crypto-predict/core';

/**
 * Turns a real 1-minute candle into the trades of that minute, such that aggregating them gives
 * the candle back: `candle.trades` trades at non-decreasing times inside the minute (several
 * may share a millisecond when a minute has more than 60,000 trades), the first at the open and
 * the last at the close, the high and the low both touched, quantities summing to the volume,
 * taker-buy quantities to the taker-buy volume, and Σ price·qty to vwap·volume.
 *
 * These are NOT real trades: they are labelled `source: 'replay-expanded'`. Trades that carry
 * neither the open, high, low nor close sit at prices chosen so the vwap comes out right.
 *
 * Policies for candles that cannot be expanded exactly (each is counted in `ExpansionStats`):
 * - `trades` = 0 (or zero volume): no trades; the aggregator fills the window as empty.
 * - the count is too small to carry open, high, low, close and both taker sides with the right
 *   vwap (e.g. 1 trade but open ≠ close): prices, volumes and vwap are kept and the smallest
 *   count that carries them is used instead ("inflated"); at most 3 trades more than the candle.
 * - the vwap sits exactly on the high or low although other prices traded: no positive
 *   quantities reach it exactly, so the other trades get a 1e-9 share ("vwap-approximate").
 */
export interface ExpandedCandle {
  trades: Trade[];
  /** More trades than the candle's count were needed to carry its prices (see policies). */
  inflated: boolean;
  /** The vwap could only be approached, not met exactly (see policies). */
  vwapApproximate: boolean;
}

export interface ExpansionStats {
  candles: number;
  trades: number;
  /** Candles with no trades, which expand to nothing. */
  noTrades: number;
  inflated: number;
  vwapApproximate: number;
}

export function emptyExpansionStats(): ExpansionStats {
  return { candles: 0, trades: 0, noTrades: 0, inflated: 0, vwapApproximate: 0 };
}

export function countExpansion(stats: ExpansionStats, expanded: ExpandedCandle): void {
  stats.candles += 1;
  stats.trades += expanded.trades.length;
  if (expanded.trades.length === 0) stats.noTrades += 1;
  if (expanded.inflated) stats.inflated += 1;
  if (expanded.vwapApproximate) stats.vwapApproximate += 1;
}

type Side = Trade['side'];

interface Plan {
  prices: number[];
  sides: Side[];
  /** The vwap each side's trades must reach, so that together they reach the candle's. */
  buyTarget: number;
  sellTarget: number;
}

const MAX_EXTRA_TRADES = 3;

export function expandCandle(candle: Candle, exchange: string): ExpandedCandle {
  const count = candle.trades;
  if (count === 0 || !(candle.volume > 0)) return { trades: [], inflated: false, vwapApproximate: false };
  const volume = candle.volume;
  const buyVolume = Math.min(Math.max(candle.buyVolume, 0), volume);
  const sellVolume = volume - buyVolume;
  const target = Math.min(candle.high, Math.max(candle.low, candle.vwap));
  const path = pricePath(candle, count, buyVolume > 0 && sellVolume > 0);

  let plan: Plan | null = null;
  let size = Math.max(count, path.length);
  for (; size <= Math.max(count, path.length) + MAX_EXTRA_TRADES && plan === null; size += 1) {
    plan = planTrades(path, size, target, buyVolume, sellVolume);
  }
  if (plan === null) {
    // Unreachable: with two filler trades at the vwap, one per side, every candle has a plan.
    throw new Error(`no expansion for candle ${candle.openTime}`);
  }
  const n = plan.prices.length;
  const qty = new Array<number>(n).fill(0);
  let approximate = false;
  for (const [side, groupVolume, groupTarget] of [
    ['buy', buyVolume, plan.buyTarget],
    ['sell', sellVolume, plan.sellTarget],
  ] as const) {
    if (!(groupVolume > 0)) continue;
    const members: number[] = [];
    for (let i = 0; i < n; i += 1) if (plan.sides[i] === side) members.push(i);
    approximate = fillQuantities(members, plan.prices, groupVolume, groupTarget, qty) || approximate;
  }

  const span = candle.closeTime - candle.openTime;
  const trades: Trade[] = new Array<Trade>(n);
  for (let i = 0; i < n; i += 1) {
    trades[i] = {
      v: 1,
      pair: candle.pair,
      exchange,
      tradeId: `${candle.openTime}-${i}`,
      price: plan.prices[i] ?? target,
      qty: qty[i] ?? 0,
      side: plan.sides[i] ?? 'buy',
      time: candle.openTime + Math.floor((i * span) / n),
      source: 'replay-expanded',
    };
  }
  return { trades, inflated: n > count, vwapApproximate: approximate };
}

/** The prices that must trade, in order: open, then the extremes the open and close miss, then close. */
function pricePath(candle: Candle, count: number, bothSides: boolean): number[] {
  const { open, high, low, close } = candle;
  if (count === 1 && !bothSides && open === close && high === open && low === open) return [open];
  // Up candles dip first and down candles spike first: the usual reading of a bar.
  const extremes = close >= open ? [low, high] : [high, low];
  const middle = extremes.filter(
    (price, index) => price !== open && price !== close && extremes.indexOf(price) === index,
  );
  return [open, ...middle, close];
}

function planTrades(
  path: readonly number[],
  n: number,
  target: number,
  buyVolume: number,
  sellVolume: number,
): Plan | null {
  const prices = layoutPrices(path, n, target);
  const fillers: number[] = [];
  for (let i = path.length === 1 ? 1 : 0; i < n; i += 1) if (isFiller(i, path.length, n)) fillers.push(i);

  if (!(sellVolume > 0))
    return { prices, sides: new Array<Side>(n).fill('buy'), buyTarget: target, sellTarget: target };
  if (!(buyVolume > 0))
    return { prices, sides: new Array<Side>(n).fill('sell'), buyTarget: target, sellTarget: target };

  if (fillers.length >= 2) {
    // Spread the buys through the minute in proportion to the taker-buy share, then make sure
    // each side holds a trade at the vwap: then each side's price range holds the vwap, and
    // side targets that average to it exist.
    const buys = Math.min(n - 1, Math.max(1, Math.round((n * buyVolume) / (buyVolume + sellVolume))));
    const sides = new Array<Side>(n);
    for (let i = 0; i < n; i += 1)
      sides[i] = Math.floor(((i + 1) * buys) / n) > Math.floor((i * buys) / n) ? 'buy' : 'sell';
    const first = fillers[0] ?? 0;
    const last = fillers[fillers.length - 1] ?? 0;
    if (!fillers.some((i) => sides[i] === 'buy')) sides[first] = 'buy';
    if (!fillers.some((i) => sides[i] === 'sell')) sides[last] = 'sell';
    const targets = sideTargets(prices, sides, target, buyVolume, sellVolume);
    return targets === null ? null : { prices, sides, ...targets };
  }

  // Few trades: try every split into buys and sells and keep the one furthest from the edges.
  let best: Plan | null = null;
  let bestMargin = -1;
  for (let mask = 1; mask < 2 ** n - 1; mask += 1) {
    const sides = prices.map((_, i): Side => ((mask >> i) & 1 ? 'buy' : 'sell'));
    const targets = sideTargets(prices, sides, target, buyVolume, sellVolume);
    if (targets === null || targets.margin <= bestMargin) continue;
    bestMargin = targets.margin;
    best = { prices, sides, ...targets };
  }
  return best;
}

/**
 * The vwap each side must reach so that together they reach `target`: each side's target sits
 * at the same fraction of its own price range. Null when no such pair exists. `margin` is how
 * far that fraction is from the ends of the ranges (0 means a side must sit on its extreme).
 */
function sideTargets(
  prices: readonly number[],
  sides: readonly Side[],
  target: number,
  buyVolume: number,
  sellVolume: number,
): { buyTarget: number; sellTarget: number; margin: number } | null {
  const buyRange = range(prices, sides, 'buy');
  const sellRange = range(prices, sides, 'sell');
  if (!Number.isFinite(buyRange.min) || !Number.isFinite(sellRange.min)) return null;
  const quote = target * (buyVolume + sellVolume);
  const lo = buyVolume * buyRange.min + sellVolume * sellRange.min;
  const hi = buyVolume * buyRange.max + sellVolume * sellRange.max;
  const slack = 1e-12 * quote;
  if (quote < lo - slack || quote > hi + slack) return null;
  const share = hi > lo ? Math.min(1, Math.max(0, (quote - lo) / (hi - lo))) : 0.5;
  return {
    buyTarget: buyRange.min + share * (buyRange.max - buyRange.min),
    sellTarget: sellRange.min + share * (sellRange.max - sellRange.min),
    margin: Math.min(share, 1 - share),
  };
}

/** Open first, close last, the extremes spread between them, fillers at the vwap elsewhere. */
function layoutPrices(path: readonly number[], n: number, target: number): number[] {
  const prices = new Array<number>(n).fill(target);
  if (path.length === 1) {
    prices[0] = path[0] ?? target;
    return prices;
  }
  prices[0] = path[0] ?? target;
  prices[n - 1] = path[path.length - 1] ?? target;
  const middle = path.length - 2;
  for (let k = 0; k < middle; k += 1) prices[middlePosition(k, middle, n)] = path[k + 1] ?? target;
  return prices;
}

function middlePosition(k: number, middle: number, n: number): number {
  return Math.round(((k + 1) * (n - 1)) / (middle + 1));
}

function isFiller(i: number, pathLength: number, n: number): boolean {
  if (i === 0 || i === n - 1) return false;
  const middle = pathLength - 2;
  for (let k = 0; k < middle; k += 1) if (middlePosition(k, middle, n) === i) return false;
  return true;
}

function range(prices: readonly number[], sides: readonly Side[], side: Side): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < prices.length; i += 1) {
    if (sides[i] !== side) continue;
    const price = prices[i] ?? 0;
    if (price < min) min = price;
    if (price > max) max = price;
  }
  return { min, max };
}

/**
 * Gives the trades of one side quantities summing to `volume` whose price-weighted mean is
 * `target`: varied base sizes, then the imbalance moved onto a trade at the far extreme.
 * Returns true when the target could only be approached.
 */
function fillQuantities(
  members: readonly number[],
  prices: readonly number[],
  volume: number,
  target: number,
  qty: number[],
): boolean {
  const weights = members.map((i) => baseWeight(i));
  let imbalance = 0;
  let lowest = 0;
  let highest = 0;
  for (let k = 0; k < members.length; k += 1) {
    const price = prices[members[k] ?? 0] ?? target;
    imbalance += (weights[k] ?? 0) * (price - target);
    if (price < (prices[members[lowest] ?? 0] ?? target)) lowest = k;
    if (price > (prices[members[highest] ?? 0] ?? target)) highest = k;
  }
  let approximate = false;
  const pull = imbalance > 0 ? lowest : highest;
  const gap = Math.abs(target - (prices[members[pull] ?? 0] ?? target));
  if (imbalance !== 0) {
    if (gap > 0) {
      weights[pull] = (weights[pull] ?? 0) + Math.abs(imbalance) / gap;
    } else {
      // The target is this side's extreme price: only trades at it can carry real size.
      approximate = true;
      for (let k = 0; k < members.length; k += 1) {
        if ((prices[members[k] ?? 0] ?? target) !== target) weights[k] = 1e-9;
      }
    }
  }
  let total = 0;
  for (const weight of weights) total += weight;
  for (let k = 0; k < members.length; k += 1) qty[members[k] ?? 0] = ((weights[k] ?? 0) * volume) / total;
  return approximate;
}

/** Deterministic sizes in [0.5, 1.5), so expanded trades are not all alike. */
function baseWeight(i: number): number {
  return 0.5 + (Math.imul(i + 1, 2654435761) >>> 0) / 2 ** 32;
}
