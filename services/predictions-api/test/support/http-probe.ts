import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ProbeRequest {
  method: string;
  /** Path and query, as on the request line. */
  target: string;
  headers: Record<string, string>;
  /** Whole request bytes to write on a fresh connection instead. */
  raw?: string;
  /** An event stream: answer with the head once it arrives, then hang up. */
  stream?: boolean;
}

/**
 * Sends one request and reads the whole answer (or the head of a stream). An answer that does not
 * come within `timeoutMs` is an error, as is a connection closed without one.
 */
export function probe(agent: Agent, base: URL, what: ProbeRequest, timeoutMs: number): Promise<Answer> {
  return what.raw === undefined ? viaClient(agent, base, what, timeoutMs) : viaSocket(base, what.raw, timeoutMs);
}

function viaClient(agent: Agent, base: URL, what: ProbeRequest, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { agent, host: base.hostname, port: base.port, method: what.method, path: what.target, headers: what.headers },
      (response) => {
        const status = response.statusCode ?? 0;
        if (what.stream === true && status === 200) {
          outgoing.destroy();
          resolve({ status, headers: response.headers, body: '' });
          return;
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    outgoing.setTimeout(timeoutMs, () => {
      outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** Parses `HTTP/1.1 <status> ...` with headers and a Content-Length body out of raw bytes. */
function parseRaw(bytes: Buffer): Answer | null {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? Number.NaN);
  if (Number.isNaN(status)) throw new Error(`not an HTTP answer: ${JSON.stringify(head[0])}`);
  const headers: IncomingHttpHeaders = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? Number.NaN);
  const body = bytes.subarray(end + 4);
  if (!Number.isNaN(length)) {
    if (body.length < length) return null;
    return { status, headers, body: body.subarray(0, length).toString('utf8') };
  }
  return { status, headers, body: body.toString('utf8') };
}

function viaSocket(base: URL, raw: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: base.hostname, port: Number(base.port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (error: Error | null, answer?: Answer): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (error !== null) reject(error);
      else if (answer !== undefined) resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => settle(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      try {
        const answer = parseRaw(Buffer.concat(chunks));
        const isStream = /^text\/event-stream/.test(String(answer?.headers['content-type']));
        if (answer !== null && (answer.headers['content-length'] !== undefined || isStream)) settle(null, answer);
      } catch (error) {
        settle(error as Error);
      }
    });
    socket.on('end', () => {
      try {
        const answer = parseRaw(Buffer.concat(chunks));
        settle(answer === null ? new Error('the connection closed without an answer') : null, answer ?? undefined);
      } catch (error) {
        settle(error as Error);
      }
    });
    socket.on('error', (error) => settle(error));
    socket.write(raw, 'utf8');
  });
}
