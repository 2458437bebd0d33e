import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';

export interface ReadinessCheck {
  name: string;
  /** Resolves true when the dependency is usable; a throw counts as not ready. */
  check: () => Promise<boolean> | boolean;
}

export interface OpsServer {
  readonly port: number;
  readonly registry: Registry;
  close(): Promise<void>;
}

/** A registry with Node's default process metrics, labelled with the service name. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Serves /healthz (the process is alive), /readyz (every dependency check passes) and /metrics
 * (Prometheus text) for a service that has no HTTP API of its own.
 */
export async function startOpsServer(options: {
  port: number;
  registry: Registry;
  readiness?: ReadinessCheck[];
  host?: string;
}): Promise<OpsServer> {
  const checks = options.readiness ?? [];
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/readyz') {
      void readiness(checks).then((result) => {
        response
          .writeHead(result.ready ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify(result));
      });
      return;
    }
    if (path === '/metrics') {
      void options.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    registry: options.registry,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function readiness(
  checks: ReadinessCheck[],
): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
  const results = await Promise.all(
    checks.map(async (item) => {
      try {
        return [item.name, await item.check()] as const;
      } catch {
        return [item.name, false] as const;
      }
    }),
  );
  return { ready: results.every(([, ok]) => ok), checks: Object.fromEntries(results) };
}
