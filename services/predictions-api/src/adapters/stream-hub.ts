import type { ServerResponse } from 'node:http';
import type { Prediction } from '@crypto-predict/core';

interface StreamClient {
  response: ServerResponse;
  pair: string | undefined;
  horizon: number | undefined;
}

/** A client further behind than this is cut off: its reconnect (with Last-Event-ID) beats buffering without bound. */
const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * Server-sent events: each new prediction goes to every stream client whose filter it matches,
 * as `event: prediction` with the prediction id as the event id. Comments keep idle connections
 * open through proxies.
 */
export class StreamHub {
  private readonly clients = new Set<StreamClient>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(heartbeatMs = 15_000) {
    this.heartbeat = setInterval(() => this.broadcast(': keep-alive\n\n', () => true), heartbeatMs);
    this.heartbeat.unref();
  }

  /** Opens a stream on a response, first sending the given snapshot (the current latest). */
  open(
    response: ServerResponse,
    filter: { pair?: string | undefined; horizon?: number | undefined },
    snapshot: readonly Prediction[],
    headers: Record<string, string | number>,
  ): void {
    response.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write('retry: 5000\n\n');
    for (const prediction of snapshot) response.write(frame(prediction));
    const client: StreamClient = { response, pair: filter.pair, horizon: filter.horizon };
    this.clients.add(client);
    response.on('close', () => this.clients.delete(client));
  }

  publish(prediction: Prediction): void {
    if (this.clients.size === 0) return;
    const text = frame(prediction);
    this.broadcast(
      text,
      (client) =>
        (client.pair === undefined || client.pair === prediction.pair) &&
        (client.horizon === undefined || client.horizon === prediction.horizon),
    );
  }

  count(): number {
    return this.clients.size;
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.response.end();
    this.clients.clear();
  }

  private broadcast(text: string, matches: (client: StreamClient) => boolean): void {
    for (const client of this.clients) {
      if (!matches(client)) continue;
      if (client.response.writableLength > MAX_BUFFERED_BYTES) {
        client.response.destroy();
        this.clients.delete(client);
        continue;
      }
      client.response.write(text);
    }
  }
}

function frame(prediction: Prediction): string {
  return `id: ${prediction.id}\nevent: prediction\ndata: ${JSON.stringify(prediction)}\n\n`;
}
