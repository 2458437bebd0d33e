// Floors of Node for `npm run bench -- api`: servers answering the API's latest bytes with the same
// content type and RateLimit headers, and nothing else (no key, no bucket, no metrics, no routing).
//
// - `http`: a bare node:http server, the floor of Node's HTTP stack.
// - `net`: a bare node:net server writing one whole answer (head and body, one Buffer made once)
//   for each read, without looking at what it read. Not a server (it would answer a request split
//   across reads twice), but the floor of what the fast lane does: Node's socket reads and writes,
//   read as the lane reads them (into one buffer, readingInto in the lane).
//
// With a worker count above 1, that many node:cluster workers share the port (the primary accepts
// and hands connections round-robin), as the API's WORKERS does: the floor of a cluster.
//
//   node --import tsx bench/api/node-floor.ts <port> <body.json> [http|net] [workers]
import cluster from 'node:cluster';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { readingInto } from '../../services/predictions-api/src/adapters/http/fast-lane.js';

const [port, file, mode = 'http', workers = '1'] = process.argv.slice(2);
if (port === undefined || file === undefined || (mode !== 'http' && mode !== 'net') || !/^[1-9]$/.test(workers))
  throw new Error('usage: node-floor.ts <port> <body.json> [http|net] [workers 1-9]');
if (Number(workers) > 1 && cluster.isPrimary) {
  for (let i = 0; i < Number(workers); i += 1) cluster.fork();
} else serve(Number(port), file, mode);

function serve(listenPort: number, bodyFile: string, kind: 'http' | 'net'): void {
  const body = readFileSync(bodyFile);
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': body.length,
    'ratelimit-limit': 1_000_000_000,
    'ratelimit-remaining': 999_999_999,
    'ratelimit-reset': 1,
  };

  if (kind === 'http') {
    createHttpServer((_request, response) => {
      response.writeHead(200, headers);
      response.end(body);
    }).listen(listenPort, '127.0.0.1');
  } else {
    const head =
      'HTTP/1.1 200 OK\r\n' +
      Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('') +
      `date: ${new Date().toUTCString()}\r\nconnection: keep-alive\r\nkeep-alive: timeout=5\r\n\r\n`;
    const answer = Buffer.concat([Buffer.from(head, 'latin1'), body]);
    const readBuffer = Buffer.allocUnsafeSlow(64 * 1024);
    createNetServer({ noDelay: true, pauseOnConnect: true }, (accepted) => {
      const socket = readingInto(accepted, {
        buffer: readBuffer,
        callback: () => {
          socket.write(answer);
          return true;
        },
      });
      socket.on('error', () => socket.destroy());
    }).listen(listenPort, '127.0.0.1');
  }
}
