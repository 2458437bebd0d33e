import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { restPairName } from '../../src/adapters/kraken/kraken-messages.js';

export interface FakeTrade {
  id: number;
  timeMs: number;
  price: number;
  qty: number;
  side: 'buy' | 'sell';
}

/**
 * A local server speaking Kraken's public formats: WebSocket API v2 (`trade` channel with
 * snapshot, heartbeats, subscribe acks) on /v2 and REST GET /0/public/Trades with the `since`
 * cursor, paging and rate limiting. Trade ids are a per-symbol sequence, as on Kraken.
 */
export class FakeKraken {
  readonly history = new Map<string, FakeTrade[]>();
  readonly restCalls: URL[] = [];
  /** REST answers the next n calls with Kraken's rate-limit error (HTTP 200, error array). */
  rateLimitNext = 0;
  /** REST answers the next n calls with HTTP 429 and Retry-After: 0. */
  http429Next = 0;
  restPageSize = 1000;
  /** While true, the WebSocket sends nothing at all (no heartbeats either). */
  muted = false;
  connections = 0;
  subscribes = 0;
  private readonly sockets = new Set<WebSocket>();
  private readonly subscribed = new Map<WebSocket, Set<string>>();
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private port = 0;

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/v2`;
  }

  get restUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(heartbeatMs = 50): Promise<void> {
    this.server = createServer((request, response) => this.onRest(request, response));
    this.wss = new WebSocketServer({ server: this.server, path: '/v2' });
    this.wss.on('connection', (socket) => this.onConnection(socket));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.heartbeat = setInterval(() => {
      if (this.muted) return;
      for (const [socket, symbols] of this.subscribed)
        if (symbols.size > 0) socket.send(JSON.stringify({ channel: 'heartbeat' }));
    }, heartbeatMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve) => this.wss?.close(() => resolve()));
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Adds trades to a symbol's history; `live` also sends them to subscribers. */
  addTrades(symbol: string, count: number, live: boolean, startMs = Date.UTC(2024, 7, 8, 12)): FakeTrade[] {
    const list = this.history.get(symbol) ?? [];
    this.history.set(symbol, list);
    const added: FakeTrade[] = [];
    for (let i = 0; i < count; i += 1) {
      const previous = list[list.length - 1];
      const id = (previous?.id ?? 0) + 1;
      const trade: FakeTrade = {
        id,
        timeMs: (previous?.timeMs ?? startMs) + 250,
        price: Number((60_000 + Math.sin(id) * 50).toFixed(1)),
        qty: Number((0.001 * (1 + (id % 7))).toFixed(8)),
        side: id % 3 === 0 ? 'sell' : 'buy',
      };
      list.push(trade);
      added.push(trade);
    }
    if (live && !this.muted) {
      for (const [socket, symbols] of this.subscribed) {
        if (symbols.has(symbol))
          socket.send(JSON.stringify({ channel: 'trade', type: 'update', data: added.map((t) => wsTrade(symbol, t)) }));
      }
    }
    return added;
  }

  /** Cuts every WebSocket connection, as a network failure would. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  private onConnection(socket: WebSocket): void {
    this.connections += 1;
    this.sockets.add(socket);
    this.subscribed.set(socket, new Set());
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.subscribed.delete(socket);
    });
    if (!this.muted) {
      socket.send(
        JSON.stringify({
          channel: 'status',
          type: 'update',
          data: [{ api_version: 'v2', connection_id: this.connections, system: 'online', version: '2.0.9' }],
        }),
      );
    }
    socket.on('message', (raw: Buffer) => {
      const request = JSON.parse(raw.toString('utf8')) as {
        method: string;
        params: { channel: string; symbol: string[]; snapshot?: boolean };
        req_id?: number;
      };
      if (request.method !== 'subscribe' || request.params.channel !== 'trade') return;
      this.subscribes += 1;
      const now = new Date().toISOString();
      for (const symbol of request.params.symbol) {
        const known = this.history.has(symbol);
        socket.send(
          JSON.stringify(
            known
              ? {
                  method: 'subscribe',
                  result: { channel: 'trade', snapshot: true, symbol },
                  success: true,
                  time_in: now,
                  time_out: now,
                  req_id: request.req_id,
                }
              : {
                  method: 'subscribe',
                  error: `Currency pair not supported ${symbol}`,
                  success: false,
                  symbol,
                  time_in: now,
                  time_out: now,
                  req_id: request.req_id,
                },
          ),
        );
        if (!known) continue;
        this.subscribed.get(socket)?.add(symbol);
        if (request.params.snapshot !== false && !this.muted) {
          // Newest first, to hold the client to not relying on the order.
          const snapshot = (this.history.get(symbol) ?? []).slice(-50).reverse();
          socket.send(
            JSON.stringify({ channel: 'trade', type: 'snapshot', data: snapshot.map((t) => wsTrade(symbol, t)) }),
          );
        }
      }
    });
  }

  private onRest(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.restUrl);
    this.restCalls.push(url);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    if (url.pathname !== '/0/public/Trades') return json(404, { error: ['EGeneral:Unknown method'] });
    if (this.http429Next > 0) {
      this.http429Next -= 1;
      return json(429, { error: ['EGeneral:Too many requests'] }, { 'retry-after': '0' });
    }
    if (this.rateLimitNext > 0) {
      this.rateLimitNext -= 1;
      return json(200, { error: ['EAPI:Rate limit exceeded'] });
    }
    const restName = url.searchParams.get('pair') ?? '';
    const symbol = [...this.history.keys()].find((s) => restPairName(s) === restName);
    if (symbol === undefined) return json(200, { error: ['EQuery:Unknown asset pair'] });
    const since = BigInt(url.searchParams.get('since') ?? '0');
    const page = (this.history.get(symbol) ?? [])
      .filter((t) => BigInt(t.timeMs) * 1_000_000n > since)
      .slice(0, this.restPageSize);
    const lastTrade = page[page.length - 1];
    const last = lastTrade === undefined ? since.toString() : (BigInt(lastTrade.timeMs) * 1_000_000n).toString();
    return json(200, {
      error: [],
      result: {
        [restName]: page.map((t) => [
          t.price.toFixed(5),
          t.qty.toFixed(8),
          t.timeMs / 1000,
          t.side === 'buy' ? 'b' : 's',
          'l',
          '',
          t.id,
        ]),
        last,
      },
    });
  }
}

function wsTrade(symbol: string, trade: FakeTrade) {
  return {
    symbol,
    side: trade.side,
    price: trade.price,
    qty: trade.qty,
    ord_type: 'market',
    trade_id: trade.id,
    timestamp: new Date(trade.timeMs).toISOString().replace('Z', '123Z'),
  };
}
