import { AppError, Trade } from '@crypto-predict/core';
import { readLines, DEFAULT_BATCH_SIZE, type BadRow, type ReplayCounters, type TradeSource } from './trade-source.js';

export interface GenericCsvOptions {
  path: string;
  pair: string;
  exchange?: string;
  batchSize?: number;
  counters?: ReplayCounters;
  onBadRow?: (row: BadRow) => void;
}

/**
 * Replays a generic trade file, plain or gzipped CSV with a header row:
 *
 *     time_ms,price,qty,side[,trade_id]
 *
 * `time_ms` is the trade's event time in epoch milliseconds (UTC), `side` the taker's side
 * (`buy` or `sell`), `trade_id` optional (default: `<time_ms>-<line number>`). Rows must be in
 * time order (rows out of order are aggregated under the late-trade policy). Every trade is
 * labelled `source: 'replay-ticks'`; rows that fail the Trade schema are counted and reported.
 */
export async function* readGenericCsv(options: GenericCsvOptions): TradeSource {
  const exchange = options.exchange ?? 'csv';
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  let batch: Trade[] = [];
  let lineNumber = 0;
  let hasId = false;
  for await (const line of readLines(options.path)) {
    lineNumber += 1;
    if (lineNumber === 1) {
      const header = line.trim().toLowerCase();
      if (header === 'time_ms,price,qty,side,trade_id') hasId = true;
      else if (header !== 'time_ms,price,qty,side') {
        throw new AppError(
          'UPSTREAM_INVALID',
          `${options.path}: header must be time_ms,price,qty,side[,trade_id], got "${line}"`,
        );
      }
      continue;
    }
    if (line.trim() === '') continue;
    if (options.counters) options.counters.rows += 1;
    const cells = line.split(',').map((cell) => cell.trim());
    const expected = hasId ? 5 : 4;
    const parsed =
      cells.length === expected
        ? Trade.safeParse({
            v: 1,
            pair: options.pair,
            exchange,
            tradeId: hasId ? cells[4] : `${cells[0]}-${lineNumber}`,
            price: Number(cells[1]),
            qty: Number(cells[2]),
            side: cells[3]?.toLowerCase(),
            time: cells[0] === '' ? Number.NaN : Number(cells[0]),
            source: 'replay-ticks',
          })
        : null;
    if (parsed === null || !parsed.success) {
      if (options.counters) options.counters.badRows += 1;
      const reason =
        parsed === null
          ? `expected ${expected} columns, got ${cells.length}`
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
