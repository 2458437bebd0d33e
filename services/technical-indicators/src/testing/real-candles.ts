import type { Candle } from '@crypto-predict/core';
import { readBinanceCandles } from '@crypto-predict/core/market-data';

/** Two spans of real Binance BTC/USDT minutes: a quiet one (flat bars, empty minutes) and a crash. */
export const SPANS = {
  /** 2023-01-01 00:00 UTC: BTC near 16.5k, very quiet, many flat and some empty minutes. */
  quiet: Date.UTC(2023, 0, 1),
  /** 2024-03-05 08:00 UTC: the run to a new high and the 14% drop the same afternoon. */
  volatile: Date.UTC(2024, 2, 5, 8),
} as const;

const cache = new Map<string, Candle[]>();

/** `count` consecutive real 1-minute candles from `from` (epoch ms). */
export async function realCandles(from: number, count = 5000): Promise<Candle[]> {
  const key = `${from}:${count}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const candles: Candle[] = [];
  for await (const candle of readBinanceCandles({ from, to: from + count * 60_000 })) candles.push(candle);
  cache.set(key, candles);
  return candles;
}
