// The floor of Node's HTTP stack for `npm run bench -- api`: a bare node:http server answering the
// API's latest bytes, with the same content type and RateLimit headers, and nothing else (no key,
// no bucket, no metrics, no routing). The API's distance to it is the API's own work.
//
//   node --import tsx bench/api/node-floor.ts <port> <body.json>
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const [port, file] = process.argv.slice(2);
if (port === undefined || file === undefined) throw new Error('usage: node-floor.ts <port> <body.json>');
const body = readFileSync(file);
createServer((_request, response) => {
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': body.length,
    'ratelimit-limit': 1_000_000_000,
    'ratelimit-remaining': 999_999_999,
    'ratelimit-reset': 1,
  });
  response.end(body);
}).listen(Number(port), '127.0.0.1');
