import { Pair } from '@crypto-predict/core';
import { z } from 'zod';
import { parseDuration } from './duration.js';

/** `BTC/USDT`, also accepted as `btc-usdt` (no slash to escape in a URL). */
const PairParam = z
  .string()
  .transform((value) => value.trim().toUpperCase().replace('-', '/'))
  .pipe(Pair);

/** A trailing metric window like 15m, 1h or 24h, between a minute and the retained history. */
function windowParam(maxMs: number) {
  return z.string().transform((value, context) => {
    const ms = parseDuration(value);
    if (ms === null) {
      context.addIssue({ code: 'custom', message: 'a window is a count and a unit s, m, h or d, e.g. 1h' });
      return z.NEVER;
    }
    if (ms < 60_000 || ms > maxMs) {
      context.addIssue({
        code: 'custom',
        message: `a window is from 1m to the retained history (${Math.round(maxMs / 60_000)}m)`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

export interface QuerySchemas {
  page: z.ZodType<{ pair?: string | undefined; window?: number | undefined }>;
  snapshot: z.ZodType<{ pair: string; window?: number | undefined }>;
  none: z.ZodType<Record<string, never>>;
}

/** The query of each route; unknown parameters are refused, so a typo is never silently ignored. */
export function querySchemas(maxWindowMs: number): QuerySchemas {
  return {
    page: z.strictObject({ pair: PairParam.optional(), window: windowParam(maxWindowMs).optional() }),
    snapshot: z.strictObject({ pair: PairParam, window: windowParam(maxWindowMs).optional() }),
    none: z.strictObject({}),
  };
}

export type ParsedQuery<T> = { ok: true; value: T } | { ok: false; parameter: string | null; message: string };

/**
 * Parses a query string against a route's schema. A parameter given twice, an unknown parameter
 * or a bad value is refused with a message that starts with the parameter's name.
 */
export function parseQuery<T>(schema: z.ZodType<T>, search: string): ParsedQuery<T> {
  const raw: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(search)) {
    if (Object.hasOwn(raw, name)) return { ok: false, parameter: name, message: `${name}: given more than once` };
    raw[name] = value;
  }
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  if (issue === undefined) return { ok: false, parameter: null, message: 'invalid query' };
  if (issue.code === 'unrecognized_keys') {
    const name = issue.keys[0] ?? '?';
    return { ok: false, parameter: name, message: `${name}: unknown parameter` };
  }
  const parameter = issue.path.length > 0 ? String(issue.path[0]) : null;
  const missing = parameter !== null && raw[parameter] === undefined;
  const message = missing ? 'is required' : issue.message;
  return { ok: false, parameter, message: parameter === null ? message : `${parameter}: ${message}` };
}
