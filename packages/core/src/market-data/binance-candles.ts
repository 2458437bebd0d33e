import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { AppError } from '../errors.js';
import type { Candle } from '../schemas/candle.js';

const MINUTE_MS = 60_000;
const HEADER =
  'open_time_ms,open,high,low,close,volume,quote_volume,trades,taker_buy_base_volume,taker_buy_quote_volume';

/** The real Binance BTC/USDT 1-minute candle files in shared/data, one per period. */
export const BINANCE_BTCUSDT_1M_FILES = [
  'binance_spot_btcusdt_1m_2023.csv.gz',
  'binance_spot_btcusdt_1m_2024.csv.gz',
  'binance_spot_btcusdt_1m_2025-01_2025-11.csv.gz',
] as const;

/** Where shared/data is: $CRYPTO_SHARED_DATA, else ../shared/data beside the repository. */
export function sharedDataDir(env: Record<string, string | undefined> = process.env): string {
  const configured = env.CRYPTO_SHARED_DATA;
  if (configured !== undefined && configured !== '') return configured;
  return join(new URL('../../../../../shared/data', import.meta.url).pathname);
}

export interface CandleFileOptions {
  /** Inclusive lower bound on openTime, epoch ms. */
  from?: number;
  /** Exclusive upper bound on openTime, epoch ms. */
  to?: number;
  pair?: string;
}

/**
 * Streams the real Binance 1-minute candles of a span, in time order, across the yearly files.
 * Binance's taker-buy volume becomes buyVolume; the rest of the volume is sellVolume.
 */
export async function* readBinanceCandles(
  options: CandleFileOptions = {},
  dataDir = sharedDataDir(),
): AsyncGenerator<Candle> {
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  for (const file of BINANCE_BTCUSDT_1M_FILES) {
    const path = join(dataDir, 'candles', file);
    if (!existsSync(path)) {
      throw new AppError(
        'NOT_FOUND',
        `candle file ${path} is missing (set CRYPTO_SHARED_DATA to the shared/data folder)`,
      );
    }
    const span = fileSpan(file);
    if (span.to <= from || span.from >= to) continue;
    yield* readCandleFile(path, from, to, options.pair ?? 'BTC/USDT');
  }
}

function fileSpan(file: string): { from: number; to: number } {
  if (file.includes('2023')) return { from: Date.UTC(2023, 0, 1), to: Date.UTC(2024, 0, 1) };
  if (file.includes('2024')) return { from: Date.UTC(2024, 0, 1), to: Date.UTC(2025, 0, 1) };
  return { from: Date.UTC(2025, 0, 1), to: Date.UTC(2025, 11, 1) };
}

async function* readCandleFile(path: string, from: number, to: number, pair: string): AsyncGenerator<Candle> {
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber += 1;
    if (lineNumber === 1) {
      if (line.trim() !== HEADER) throw new AppError('UPSTREAM_INVALID', `${path}: unexpected header "${line}"`);
      continue;
    }
    if (line === '') continue;
    const openTime = Number(line.slice(0, line.indexOf(',')));
    if (openTime < from) continue;
    if (openTime >= to) {
      lines.close();
      return;
    }
    yield parseBinanceCandleLine(line, pair, `${path}:${lineNumber}`);
  }
}

/** Parses one CSV line of a Binance 1-minute candle file. */
export function parseBinanceCandleLine(line: string, pair: string, where = 'line'): Candle {
  const cells = line.split(',');
  if (cells.length !== 10) throw new AppError('UPSTREAM_INVALID', `${where}: expected 10 columns, got ${cells.length}`);
  const [openTime, open, high, low, close, volume, quoteVolume, trades, takerBuyBase] = cells.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const empty = trades === 0 || volume === 0;
  return {
    v: 1,
    pair,
    timeframe: '1m',
    openTime,
    closeTime: openTime + MINUTE_MS,
    open,
    high,
    low,
    close,
    volume,
    vwap: empty ? close : quoteVolume / volume,
    trades,
    buyVolume: takerBuyBase,
    sellVolume: Math.max(0, volume - takerBuyBase),
    empty,
    revision: 0,
  };
}
