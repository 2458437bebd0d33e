import { PairQueryParam, parseDuration } from '@crypto-predict/core';
import { z } from 'zod';

const PairParam = PairQueryParam;

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

export { parseQuery, type ParsedQuery } from '@crypto-predict/core';
