import type { NewsItem } from '@crypto-predict/core';
import { newsItemId } from './news-identity.js';
import { cleanText } from './text.js';

/** The recorded news formats in shared/data/news, told apart by their header. */
export type NewsFileFormat = 'cryptopanic' | 'cryptonews';

export interface RejectedRow {
  /** 1-based record number after the header. */
  row: number;
  reason: string;
}

export interface NewsFileParse {
  format: NewsFileFormat;
  items: NewsItem[];
  rejected: RejectedRow[];
}

export function detectNewsFileFormat(header: readonly string[]): NewsFileFormat | undefined {
  if (header.includes('cryptopanic_url') && header.includes('currencies')) return 'cryptopanic';
  if (header.includes('subject') && header.includes('url') && header.includes('text')) return 'cryptonews';
  return undefined;
}

/**
 * Rows of a recorded news file → NewsItems. Replayed items are stamped received at their
 * publication time, so a replay produces the same messages every time it runs.
 */
export function newsItemsFromRows(format: NewsFileFormat, rows: readonly Record<string, string>[]): NewsFileParse {
  const items: NewsItem[] = [];
  const rejected: RejectedRow[] = [];
  rows.forEach((row, index) => {
    const result = format === 'cryptopanic' ? fromCryptoPanicRow(row) : fromCryptoNewsRow(row);
    if (typeof result === 'string') rejected.push({ row: index + 1, reason: result });
    else items.push(result);
  });
  return { format, items, rejected };
}

function fromCryptoPanicRow(row: Record<string, string>): NewsItem | string {
  const title = cleanText(row.title ?? '');
  if (title === '') return 'no title';
  const publishedAt = parseUtc(row.datetime_utc ?? '');
  if (publishedAt === undefined) return `bad datetime_utc "${row.datetime_utc ?? ''}"`;
  const url = nonEmpty(row.cryptopanic_url);
  const body = nonEmpty(cleanText(row.description ?? ''));
  const publisher = nonEmpty(row.source);
  return {
    v: 1,
    id: newsItemId({ url, title }),
    source: publisher === undefined ? 'cryptopanic' : `cryptopanic:${publisher}`,
    title,
    ...(body === undefined ? {} : { body }),
    ...(url === undefined ? {} : { url }),
    currencies: parseCryptoPanicCurrencies(row.currencies ?? ''),
    publishedAt,
    receivedAt: publishedAt,
  };
}

/** The cryptonews file has a `subject` column; two of its subjects name a coin. */
const SUBJECT_COIN: Record<string, string> = { bitcoin: 'BTC', ethereum: 'ETH' };

function fromCryptoNewsRow(row: Record<string, string>): NewsItem | string {
  const title = cleanText(row.title ?? '');
  if (title === '') return 'no title';
  const publishedAt = parseUtc(row.datetime_utc ?? '');
  if (publishedAt === undefined) return `bad datetime_utc "${row.datetime_utc ?? ''}"`;
  const url = nonEmpty(row.url);
  const body = nonEmpty(cleanText(row.text ?? ''));
  const subjectCoin = SUBJECT_COIN[(row.subject ?? '').toLowerCase()];
  const publisher = nonEmpty(row.source);
  return {
    v: 1,
    id: newsItemId({ url, title }),
    source: publisher === undefined ? 'cryptonews' : `cryptonews:${publisher}`,
    title,
    ...(body === undefined ? {} : { body }),
    ...(url === undefined ? {} : { url }),
    currencies: subjectCoin === undefined ? [] : [subjectCoin],
    publishedAt,
    receivedAt: publishedAt,
  };
}

const TICKER = /^[A-Z0-9]{2,12}$/;

/** CryptoPanic's recorded tags look like "BTC ;ETH ;XRP " or "No currency". */
export function parseCryptoPanicCurrencies(field: string): string[] {
  const tags = field
    .split(/[;,]/)
    .map((tag) => tag.trim().toUpperCase())
    .filter((tag) => TICKER.test(tag));
  return [...new Set(tags)];
}

/** An ISO-8601 instant with an explicit zone (the files write `Z`) → epoch ms. */
export function parseUtc(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text.trim())) return undefined;
  const ms = Date.parse(text.trim());
  return Number.isFinite(ms) ? ms : undefined;
}

function nonEmpty(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
