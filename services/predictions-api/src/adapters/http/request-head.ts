/**
 * What the API needs of a request, whichever transport read it: node:http's parser, or the fast
 * lane's strict reader below.
 */
export interface RequestHead {
  readonly method: string;
  readonly path: string;
  /** The query string without its `?` ('' when none). */
  readonly search: string;
  readonly host: string | undefined;
  /** HTTP/1.1 (a Host header is then required); false for HTTP/1.0. */
  readonly http11: boolean;
  readonly authorization: string | undefined;
  readonly apiKey: string | string[] | undefined;
}

/** A request head read off the front of a buffer, and how many bytes it took. */
export interface ReadHead {
  head: RequestHead;
  length: number;
}

/**
 * The longest head the fast lane reads itself; anything longer goes to node:http, which enforces
 * its own 16 KiB limit with a 431.
 */
export const MAX_FAST_HEAD_BYTES = 8 * 1024;

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
/**
 * The request line, and then each field line, read in place with sticky patterns. Neither can
 * match in more than one way (a value holds no CR), so a read is linear in the head's length.
 * The name is an RFC 9110 token; the value is visible ASCII, space and tab, without obs-text
 * (bytes ≥ 0x80 are left to Node). These also refuse a bare CR or LF anywhere in the head, and
 * obsolete line folding (a line starting with whitespace is no field line).
 */
const REQUEST_LINE = /GET (\/[\x21-\x7e]*) HTTP\/1\.1\r\n/y;
const FIELD_LINE = /([!#$%&'*+\-.^_`|~0-9A-Za-z]+):([\t\x20-\x7e]*)\r\n/y;

/** Fields that change how the connection or the message is read: such requests are node:http's. */
const FRAMING_FIELDS = new Set(['content-length', 'transfer-encoding', 'upgrade', 'expect', 'te', 'trailer']);

/**
 * Reads one complete HTTP/1.1 GET head from the front of `bytes`, or null when the request is not
 * one the fast lane should answer itself: not a GET, not HTTP/1.1, a head still incomplete or
 * longer than MAX_FAST_HEAD_BYTES, a body or upgrade announced, `Connection` other than keep-alive,
 * a repeated Host / Authorization / X-API-Key / Connection, a fragment in the target, any byte
 * outside printable ASCII, obsolete line folding, a bare CR or LF. Null is never an error: the
 * connection is handed to node:http, whose parser answers it (400, 405, 431, …) as it would any.
 * So this reader only ever has to be right about what it accepts.
 */
export function readRequestHead(bytes: Buffer): ReadHead | null {
  const end = bytes.indexOf(HEAD_END, 0, 'latin1');
  if (end < 0 || end > MAX_FAST_HEAD_BYTES) return null;
  // Through the last field line's CRLF: every line, the request line included, ends with one.
  const text = bytes.toString('latin1', 0, end + 2);
  REQUEST_LINE.lastIndex = 0;
  const target = REQUEST_LINE.exec(text)?.[1];
  if (target === undefined || target.includes('#')) return null;
  let host: string | undefined;
  let authorization: string | undefined;
  let apiKey: string | undefined;
  let connection: string | undefined;
  let at = REQUEST_LINE.lastIndex;
  while (at < text.length) {
    FIELD_LINE.lastIndex = at;
    const field = FIELD_LINE.exec(text);
    if (field === null) return null;
    at = FIELD_LINE.lastIndex;
    const name = (field[1] ?? '').toLowerCase();
    // Space and tab are the only whitespace a value can hold: trim() drops exactly the optional
    // whitespace around it (RFC 9110 §5.5).
    const value = (field[2] ?? '').trim();
    switch (name) {
      case 'host':
        if (host !== undefined) return null;
        host = value;
        break;
      case 'authorization':
        if (authorization !== undefined) return null;
        authorization = value;
        break;
      case 'x-api-key':
        if (apiKey !== undefined) return null;
        apiKey = value;
        break;
      case 'connection':
        if (connection !== undefined || value.toLowerCase() !== 'keep-alive') return null;
        connection = value;
        break;
      default:
        if (FRAMING_FIELDS.has(name)) return null;
    }
  }
  const mark = target.indexOf('?');
  const head: RequestHead = {
    method: 'GET',
    path: mark < 0 ? target : target.slice(0, mark),
    search: mark < 0 ? '' : target.slice(mark + 1),
    host,
    http11: true,
    authorization,
    apiKey,
  };
  return { head, length: end + HEAD_END.length };
}
