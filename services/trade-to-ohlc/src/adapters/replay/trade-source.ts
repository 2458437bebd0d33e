import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { AppError, type Trade } from '@crypto-predict/core';

/** A finite or endless stream of trades in event-time order, in batches (one batch may be one minute). */
export type TradeSource = AsyncIterable<Trade[]>;

/** A row of a recorded file that could not become a trade: counted and reported, never dropped silently. */
export interface BadRow {
  file: string;
  line: number;
  reason: string;
}

export interface ReplayCounters {
  rows: number;
  trades: number;
  badRows: number;
}

/** Lines of a text file, gunzipped when the name ends in .gz. */
export async function* readLines(path: string): AsyncGenerator<string> {
  if (!existsSync(path)) throw new AppError('NOT_FOUND', `replay file ${path} does not exist`);
  const stream = createReadStream(path);
  const input = path.endsWith('.gz') ? stream.pipe(createGunzip()) : stream;
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } finally {
    lines.close();
    stream.destroy();
  }
}

export const DEFAULT_BATCH_SIZE = 1_000;
