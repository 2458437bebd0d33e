import { join } from 'node:path';
import { AppError, Trade } from '@crypto-predict/core';
import { readLines, DEFAULT_BATCH_SIZE, type BadRow, type ReplayCounters, type TradeSource } from './trade-source.js';

/** The real Binance BTC/USDT tick capture in shared/data (10.8 minutes, 19,904 trades). */
export const BINANCE_TICK_CAPTURE = join('trades', 'binance_spot_btcusdt_trades_20240808T2354Z_20240809T0005Z.csv.gz');

const HEADER = 'trade_time_ms,event_time_ms,local_recv_ts,trade_id,price,qty,is_buyer_maker,taker_side';

export interface TickCaptureOptions {
  path: string;
  pair?: string;
  exchange?: string;
  batchSize?: number;
  counters?: ReplayCounters;
  onBadRow?: (row: BadRow) => void;
}

/**
 * Replays a recorded Binance trade stream (columns as in shared/data/trades) as real trades,
 * labelled `source: 'replay-ticks'`. The trade time (not the event or receive time) is the event time.
 */
export async function* readTickCapture(options: TickCaptureOptions): TradeSource {
  const pair = options.pair ?? 'BTC/USDT';
  const exchange = options.exchange ?? 'binance';
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  let batch: Trade[] = [];
  let lineNumber = 0;
  for await (const line of readLines(options.path)) {
    lineNumber += 1;
    if (lineNumber === 1) {
      if (line.trim() !== HEADER)
        throw new AppError('UPSTREAM_INVALID', `${options.path}: unexpected header "${line}"`);
      continue;
    }
    if (line.trim() === '') continue;
    if (options.counters) options.counters.rows += 1;
    const cells = line.split(',');
    const parsed =
      cells.length === 8
        ? Trade.safeParse({
            v: 1,
            pair,
            exchange,
            tradeId: cells[3],
            price: Number(cells[4]),
            qty: Number(cells[5]),
            side: cells[7],
            time: Number(cells[0]),
            source: 'replay-ticks',
          })
        : null;
    if (parsed === null || !parsed.success) {
      if (options.counters) options.counters.badRows += 1;
      const reason =
        parsed === null
          ? `expected 8 columns, got ${cells.length}`
          : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      options.onBadRow?.({ file: options.path, line: lineNumber, reason });
      continue;
    }
    if (options.counters) options.counters.trades += 1;
    batch.push(parsed.data);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
