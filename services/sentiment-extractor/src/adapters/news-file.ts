import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { AppError } from '@crypto-predict/core';
import { parseCsvWithHeader } from '../domain/csv.js';
import { detectNewsFileFormat, newsItemsFromRows, type NewsFileParse } from '../domain/news-files.js';

/** Reads a recorded news file (.csv or .csv.gz) of shared/data/news into NewsItems. */
export async function readNewsFile(path: string): Promise<NewsFileParse> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new AppError('CONFIG_INVALID', `cannot read news file ${path}`, { cause: error });
  }
  const text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  const { header, rows } = parseCsvWithHeader(text);
  const format = detectNewsFileFormat(header);
  if (format === undefined) {
    throw new AppError('CONFIG_INVALID', `${path} is not a known news file format (header: ${header.join(',')})`);
  }
  return newsItemsFromRows(format, rows);
}
