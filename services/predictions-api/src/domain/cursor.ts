import { z } from 'zod';

/** Where a page of history ends: the sort values (feature time, id) of its last prediction. */
export interface Cursor {
  featureTime: number;
  id: string;
}

const CursorJson = z.tuple([z.number().int().nonnegative(), z.string().min(1).max(512)]);

/** An opaque, URL-safe token for a position in the (featureTime, id) order. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.featureTime, cursor.id]), 'utf8').toString('base64url');
}

/** The position a token names, or null when it is not a token this API issued. */
export function decodeCursor(token: string): Cursor | null {
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(token)) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = CursorJson.safeParse(json);
  return parsed.success ? { featureTime: parsed.data[0], id: parsed.data[1] } : null;
}
