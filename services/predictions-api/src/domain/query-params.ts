import { EpochMs, HorizonMinutes, PairQueryParam, parseQuery, type ParsedQuery } from '@crypto-predict/core';
import { z } from 'zod';
import { decodeCursor } from './cursor.js';

const PairParam = PairQueryParam;

const HorizonParam = z
  .string()
  .regex(/^[0-9]{1,5}$/, 'a horizon is a whole number of minutes, e.g. 5')
  .transform(Number)
  .pipe(HorizonMinutes);

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-](\d{2}):(\d{2})))?$/;

/**
 * An RFC 3339 date-time with its zone (`2025-01-01T00:00:00Z`, `…+02:00`; seconds and fraction
 * optional) or a date (`2025-01-01`, UTC midnight) as epoch ms; null for anything else, including
 * impossible dates (`2025-02-30`) and a time without a zone, which would depend on the server's.
 */
export function parseIsoTime(text: string): number | null {
  const match = ISO_TIME.exec(text);
  if (match === null) return null;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone, zoneHours, zoneMinutes] =
    match;
  const [y, mo, d, h, mi, sec] = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  if (h > 23 || mi > 59 || sec > 59) return null;
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z') {
    const [zh, zm] = [Number(zoneHours), Number(zoneMinutes)];
    if (zh > 23 || zm > 59) return null;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (zh * 60 + zm);
  }
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offsetMinutes * 60_000;
}

/** Epoch milliseconds, or an ISO 8601 (RFC 3339) date-time with a zone, or a date. */
const TimeParam = z
  .string()
  .transform((value, context) => {
    const ms = /^[0-9]{1,16}$/.test(value) ? Number(value) : parseIsoTime(value);
    if (ms === null) {
      context.addIssue({
        code: 'custom',
        message:
          'a time is epoch milliseconds, an ISO 8601 date-time with its zone (2025-01-01T00:00:00Z) or a date (2025-01-01)',
      });
      return z.NEVER;
    }
    return ms;
  })
  .pipe(EpochMs);

const LimitParam = z
  .string()
  .regex(/^[0-9]{1,4}$/, 'limit is a whole number from 1 to 1000')
  .transform(Number)
  .pipe(z.number().int().min(1, 'limit is at least 1').max(1000, 'limit is at most 1000'));

const CursorParam = z.string().transform((value, context) => {
  const cursor = decodeCursor(value);
  if (cursor === null) {
    context.addIssue({
      code: 'custom',
      message: 'not a cursor this API issued (pass nextCursor from the previous page as it is)',
    });
    return z.NEVER;
  }
  return cursor;
});

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX_WINDOW_MS = 90 * UNIT_MS.d;

/** A look-back window like 30m, 24h or 7d, at most 90 days. */
const WindowParam = z
  .string()
  .regex(/^[1-9][0-9]{0,4}[mhd]$/, 'a window is a count and a unit m, h or d, e.g. 24h')
  .transform((value) => ({
    text: value,
    ms: Number(value.slice(0, -1)) * UNIT_MS[value.slice(-1) as keyof typeof UNIT_MS],
  }))
  .refine((window) => window.ms <= MAX_WINDOW_MS, 'a window is at most 90d');

export const LatestQuery = z.strictObject({ pair: PairParam, horizon: HorizonParam.optional() });
export type LatestQuery = z.output<typeof LatestQuery>;

export const HistoryQuery = z
  .strictObject({
    pair: PairParam,
    horizon: HorizonParam.optional(),
    from: TimeParam.optional(),
    to: TimeParam.optional(),
    limit: LimitParam.default(100),
    cursor: CursorParam.optional(),
    order: z.enum(['asc', 'desc'], 'order is asc or desc').default('desc'),
  })
  .refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, {
    message: 'from must not be after to',
    path: ['from'],
  });
export type HistoryQuery = z.output<typeof HistoryQuery>;

export const PerformanceQuery = z.strictObject({
  pair: PairParam,
  horizon: HorizonParam.optional(),
  window: WindowParam.default({ text: '24h', ms: UNIT_MS.d }),
});
export type PerformanceQuery = z.output<typeof PerformanceQuery>;

export const StreamQuery = z.strictObject({ pair: PairParam.optional(), horizon: HorizonParam.optional() });
export type StreamQuery = z.output<typeof StreamQuery>;

export const NoQuery = z.strictObject({});

export { parseQuery, type ParsedQuery };

const MEMO_ENTRIES = 1_024;
const MEMO_MAX_TEXT = 256;

/**
 * parseQuery for one schema, remembering the answer per query text: a text always parses the same
 * way, and clients repeat a few texts (`pair=BTC/USDT&horizon=5`), so the hot path is one map
 * lookup. Bounded: long texts are not remembered, and the memo starts afresh when full.
 * The parsed values are shared between requests and must not be mutated.
 */
export function memoizedParser<S extends z.ZodType>(schema: S): (search: string) => ParsedQuery<z.output<S>> {
  const memo = new Map<string, ParsedQuery<z.output<S>>>();
  return (search) => {
    const known = memo.get(search);
    if (known !== undefined) return known;
    const parsed = parseQuery(schema, search);
    if (search.length <= MEMO_MAX_TEXT) {
      if (memo.size >= MEMO_ENTRIES) memo.clear();
      memo.set(search, parsed);
    }
    return parsed;
  };
}
