import type { Candle, FeatureRow } from '@crypto-predict/core';
import type { FeatureEngine } from '../domain/features/feature-engine.js';

export interface BackfillProgress {
  candles: number;
  rows: number;
  /** Open time of the last candle computed. */
  at: number;
}

export interface BackfillResult {
  candles: number;
  rows: number;
  gapFilled: number;
  ignored: number;
  computeMs: number;
  /** Time spent waiting for writes that computing could not hide. */
  writeWaitMs: number;
}

export interface BackfillOptions {
  candles: AsyncIterable<Candle>;
  engine: FeatureEngine;
  /** Persists a batch of rows (FeatureStoreWriter.write). */
  write: (rows: FeatureRow[]) => Promise<unknown>;
  batchSize: number;
  onProgress?: (progress: BackfillProgress) => void;
}

/**
 * Replays candles through the same FeatureEngine the live service runs and writes the rows in
 * large batches; one write is in flight while the next batch is computed.
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillResult> {
  const result: BackfillResult = { candles: 0, rows: 0, gapFilled: 0, ignored: 0, computeMs: 0, writeWaitMs: 0 };
  let batch: FeatureRow[] = [];
  let inFlight: Promise<unknown> | undefined;
  const drain = async (): Promise<void> => {
    if (inFlight === undefined) return;
    const waitStart = performance.now();
    await inFlight;
    result.writeWaitMs += performance.now() - waitStart;
    inFlight = undefined;
  };
  const ship = async (): Promise<void> => {
    await drain();
    const rows = batch;
    batch = [];
    inFlight = options.write(rows);
    // Surface a failed write at the next drain, not as an unhandled rejection.
    inFlight.catch(() => undefined);
  };
  let computeStart = performance.now();
  for await (const candle of options.candles) {
    const outcome = options.engine.apply(candle);
    result.candles += 1;
    if (outcome.kind === 'ignored') {
      result.ignored += 1;
      continue;
    }
    result.gapFilled += outcome.gapFilled;
    for (const row of outcome.rows) batch.push(row);
    if (batch.length >= options.batchSize) {
      result.computeMs += performance.now() - computeStart;
      result.rows += batch.length;
      await ship();
      options.onProgress?.({ candles: result.candles, rows: result.rows, at: candle.openTime });
      computeStart = performance.now();
    }
  }
  result.computeMs += performance.now() - computeStart;
  if (batch.length > 0) {
    result.rows += batch.length;
    await ship();
  }
  await drain();
  return result;
}
