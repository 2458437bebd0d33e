import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { AppError } from '@crypto-predict/core';
import {
  Float64,
  RecordBatchFileWriter,
  Table,
  TimestampMillisecond,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import type pg from 'pg';
import { trainingFrame, type TrainingFrameRequest } from './reader.js';

export interface ArrowExportRequest extends TrainingFrameRequest {
  /** Output file (Arrow IPC file format, a.k.a. Feather v2). */
  path: string;
  /** Rows are read and written in time chunks of this length (default 7 days). */
  chunkMs?: number;
}

export interface ArrowExportResult {
  path: string;
  rows: number;
  batches: number;
  columns: string[];
}

const DAY_MS = 86_400_000;

/**
 * Writes a training frame as an Arrow IPC file: `time` (timestamp[ms, UTC]), `close` and one
 * float64 column per feature, null where the store has null. pandas reads it with
 * `pd.read_feather(path)`, pyarrow with `pyarrow.ipc.open_file(path)`. Feature columns are
 * sorted by name (the trainer's order); rows are read in time chunks, so memory stays bounded.
 */
export async function exportTrainingFrameArrow(pool: pg.Pool, request: ArrowExportRequest): Promise<ArrowExportResult> {
  const chunkMs = request.chunkMs ?? 7 * DAY_MS;
  let names: string[] | undefined = request.features === undefined ? undefined : [...request.features];
  const writer = new RecordBatchFileWriter();
  let sink: Promise<void> | undefined;
  let rows = 0;
  let batches = 0;
  try {
    for (let from = request.from; from < request.to; from += chunkMs) {
      const chunk = await trainingFrame(pool, { ...request, from, to: Math.min(request.to, from + chunkMs) });
      if (chunk.length === 0) continue;
      names ??= Object.keys(chunk[0]?.features ?? {}).sort();
      const columns: Record<string, Vector> = {
        time: vectorFromArray(
          chunk.map((row) => new Date(row.time)),
          new TimestampMillisecond('UTC'),
        ),
        close: vectorFromArray(
          chunk.map((row) => row.close),
          new Float64(),
        ),
      };
      for (const name of names) {
        columns[name] = vectorFromArray(
          chunk.map((row) => row.features[name] ?? null),
          new Float64(),
        );
      }
      sink ??= pipeline(writer.toNodeStream(), createWriteStream(request.path));
      for (const batch of new Table(columns).batches) writer.write(batch);
      rows += chunk.length;
      batches += 1;
    }
  } finally {
    writer.finish();
  }
  if (sink === undefined) {
    throw new AppError(
      'NOT_FOUND',
      `no feature rows for ${request.pair} ${request.timeframe} in [${new Date(request.from).toISOString()}, ${new Date(request.to).toISOString()})`,
    );
  }
  await sink;
  return { path: request.path, rows, batches, columns: ['time', 'close', ...(names ?? [])] };
}
