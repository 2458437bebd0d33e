import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { seededRandom } from '@crypto-predict/core/testing';
import { MAX_FAST_HEAD_BYTES, readRequestHead, type RequestHead } from './request-head.js';

const read = (text: string): ReturnType<typeof readRequestHead> => readRequestHead(Buffer.from(text, 'latin1'));

describe('readRequestHead', () => {
  it('reads a plain GET: path, query, Host, key headers, and the bytes it took', () => {
    const text = 'GET /v1/predictions/latest?pair=BTC/USDT&horizon=5 HTTP/1.1\r\nHost: api\r\nX-API-Key:  k1 \r\n\r\n';
    const result = read(`${text}GET /next`);
    assert.deepEqual(result, {
      head: {
        method: 'GET',
        path: '/v1/predictions/latest',
        search: 'pair=BTC/USDT&horizon=5',
        host: 'api',
        http11: true,
        authorization: undefined,
        apiKey: 'k1',
      },
      length: Buffer.byteLength(text),
    });
  });

  it('reads header names in any case, Connection: keep-alive, and unrelated headers', () => {
    const result = read(
      'GET /healthz HTTP/1.1\r\nhOsT: a\r\nAUTHORIZATION: Bearer x\r\nconnection: Keep-Alive\r\nAccept: */*\r\n\r\n',
    );
    assert.equal(result?.head.host, 'a');
    assert.equal(result?.head.authorization, 'Bearer x');
    assert.equal(result?.head.search, '');
  });

  it('reads a GET without Host (the route table answers it 400)', () => {
    assert.equal(read('GET / HTTP/1.1\r\n\r\n')?.head.host, undefined);
  });

  const refused: [string, string][] = [
    ['an incomplete head', 'GET / HTTP/1.1\r\nHost: a\r\n'],
    ['another method', 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['HTTP/1.0', 'GET / HTTP/1.0\r\nHost: a\r\n\r\n'],
    ['an unknown version', 'GET / HTTP/9.9\r\nHost: a\r\n\r\n'],
    ['asterisk form', 'GET * HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['absolute form', 'GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a fragment', 'GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a space in the target', 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a control character in the target', 'GET /a\u0001 HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a byte above 0x7e in the target', 'GET /\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a byte above 0x7e in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX: \u00e9\r\n\r\n'],
    ['a bare LF', 'GET / HTTP/1.1\nHost: a\r\n\r\n'],
    ['a bare CR in a value', 'GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n'],
    ['a line without a colon', 'GET / HTTP/1.1\r\nHost a\r\n\r\n'],
    ['a space before the colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n'],
    ['obsolete line folding', 'GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n'],
    ['a repeated Host', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
    ['a repeated key', 'GET / HTTP/1.1\r\nHost: a\r\nx-api-key: 1\r\nX-API-KEY: 2\r\n\r\n'],
    ['a repeated Authorization', 'GET / HTTP/1.1\r\nHost: a\r\nAuthorization: 1\r\nAuthorization: 2\r\n\r\n'],
    ['Connection: close', 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'],
    ['Connection: upgrade', 'GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'],
    ['a Content-Length', 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n'],
    ['a Transfer-Encoding', 'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['an Expect', 'GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n'],
    ['a leading empty line', '\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a head longer than the lane reads', `GET /${'a'.repeat(MAX_FAST_HEAD_BYTES)} HTTP/1.1\r\nHost: a\r\n\r\n`],
  ];
  for (const [what, text] of refused) {
    it(`leaves ${what} to node:http`, () => {
      assert.equal(read(text), null, `${JSON.stringify(text.slice(0, 60))} must not be read by the fast lane`);
    });
  }
});

/**
 * The reader's one duty: whatever it accepts, node:http's parser reads the same way. Mutated
 * requests are sent to a node:http server that echoes what it parsed; every one the reader accepts
 * must have been parsed by Node to the same method, target, Host and key headers.
 */
describe('readRequestHead against node:http on mutated requests', () => {
  let port = 0;
  const server = createServer({ requireHostHeader: false }, (request: IncomingMessage, response) => {
    response.end(
      JSON.stringify({
        method: request.method,
        url: request.url,
        host: request.headers.host,
        authorization: request.headers.authorization,
        apiKey: request.headers['x-api-key'],
        http11: request.httpVersion === '1.1',
      }),
    );
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Node's reading of one request (a fresh connection each), or null when it refused it. */
  const nodeReads = (bytes: Buffer): Promise<Record<string, unknown> | null> =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('end', () => {
        const answer = Buffer.concat(chunks).toString('latin1');
        const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
        resolve(answer.startsWith('HTTP/1.1 200') ? (JSON.parse(body) as Record<string, unknown>) : null);
      });
      // Connection: close after the request, so Node ends the connection once it has answered.
      socket.end(Buffer.concat([bytes.subarray(0, bytes.length - 2), Buffer.from('Connection: close\r\n\r\n')]));
    });

  const SEED_REQUESTS = [
    'GET /v1/predictions/latest?pair=BTC/USDT&horizon=5 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: cpk_abc\r\n\r\n',
    'GET /v1/pairs HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer cpk_x\r\nAccept: */*\r\n\r\n',
    'GET /healthz?a=1&b=%20 HTTP/1.1\r\nhost:h\r\nUser-Agent: t/1\r\n\r\n',
  ];
  const ALPHABET = [
    '\r',
    '\n',
    ' ',
    '\t',
    ':',
    '?',
    '#',
    '%',
    '/',
    'a',
    'Z',
    '0',
    '\u0000',
    '\u007f',
    '\u00e9',
    'H',
    '1',
    '.',
    '"',
    '\\',
  ];

  it('every mutated request it accepts, node:http parses identically', async (t) => {
    const random = seededRandom(20_261_124);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    let accepted = 0;
    let compared = 0;
    for (let i = 0; i < 1_500; i += 1) {
      // Keep the final CRLFCRLF so that most mutants are complete heads; mutate what is before it.
      const seed = pick(SEED_REQUESTS);
      let body = seed.slice(0, -4);
      for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits -= 1) {
        const at = Math.floor(random() * (body.length + 1));
        const kind = random();
        if (kind < 0.4) body = body.slice(0, at) + pick(ALPHABET) + body.slice(at);
        else if (kind < 0.7) body = body.slice(0, at) + body.slice(at + 1);
        else body = body.slice(0, at) + pick(ALPHABET) + body.slice(at + 1);
      }
      const bytes = Buffer.from(`${body}\r\n\r\n`, 'latin1');
      const mine = readRequestHead(bytes);
      if (mine === null) continue;
      accepted += 1;
      // Only the requests the reader accepts matter; the Connection: close appended for the probe
      // would itself conflict with a mutated Connection header, so those are read by their own case.
      if (/\r\nconnection:/i.test(body)) continue;
      const theirs = await nodeReads(bytes);
      compared += 1;
      const expected: RequestHead = mine.head;
      const target = body.slice(4, body.indexOf(' HTTP/1.1'));
      assert.ok(
        target === `${expected.path}?${expected.search}` || (expected.search === '' && target === expected.path),
        `path and query must make up the target ${target}`,
      );
      assert.deepEqual(
        theirs,
        // As JSON, like the echo: absent headers are left out.
        JSON.parse(
          JSON.stringify({
            method: expected.method,
            url: target,
            host: expected.host,
            authorization: expected.authorization,
            apiKey: expected.apiKey,
            http11: expected.http11,
          }),
        ),
        `node:http must read ${JSON.stringify(body)} as the fast lane does`,
      );
    }
    t.diagnostic(`1,500 mutants: ${accepted} accepted by the reader, ${compared} compared with node:http`);
    assert.ok(
      accepted > 300 && compared > 300,
      `enough mutants must be accepted and compared (${accepted}, ${compared})`,
    );
  });
});
