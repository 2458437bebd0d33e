import { z } from 'zod';
import { Pair } from './schemas/common.js';

/** The result of parsing a query string: the value, or the parameter at fault and why. */
export type ParsedQuery<T> = { ok: true; value: T } | { ok: false; parameter: string | null; message: string };

/**
 * Parses a URL query string against an endpoint's schema. A parameter given twice, an unknown
 * parameter or a bad value is refused with a message that starts with the parameter's name.
 */
export function parseQuery<S extends z.ZodType>(schema: S, search: string): ParsedQuery<z.output<S>> {
  // No prototype: `__proto__=x` must be an unknown parameter like any other, not a no-op.
  const raw = Object.create(null) as Record<string, string>;
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
  const missing = issue.code === 'invalid_type' && parameter !== null && raw[parameter] === undefined;
  const message = missing ? 'is required' : issue.message;
  return { ok: false, parameter, message: parameter === null ? message : `${parameter}: ${message}` };
}

/** A pair in a URL: `BTC/USDT`, also `btc-usdt` (ASCII only: upper-casing `ſ` must not make an `S`). */
export const PairQueryParam = z
  .string()
  .regex(/^[A-Za-z0-9]{2,12}[/-][A-Za-z0-9]{2,12}$/, 'a pair is BASE/QUOTE in upper case, e.g. BTC/USDT')
  .transform((value) => value.toUpperCase().replace('-', '/'))
  .pipe(Pair);
