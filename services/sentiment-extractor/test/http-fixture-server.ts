import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** A local HTTP server on a random port whose answers a test scripts, one handler per request. */
export async function startFixtureServer(handlers: Handler[]): Promise<{
  url: string;
  requests: Array<{ url: string; headers: IncomingMessage['headers']; body: string }>;
  close(): Promise<void>;
}> {
  const requests: Array<{ url: string; headers: IncomingMessage['headers']; body: string }> = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      requests.push({ url: request.url ?? '', headers: request.headers, body });
      const handler = handlers[Math.min(requests.length - 1, handlers.length - 1)];
      if (handler === undefined) response.writeHead(500).end();
      else handler(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

export const json =
  (status: number, payload: unknown, headers: Record<string, string> = {}): Handler =>
  (_request, _body, response) => {
    response
      .writeHead(status, { 'content-type': 'application/json', ...headers })
      .end(typeof payload === 'string' ? payload : JSON.stringify(payload));
  };
