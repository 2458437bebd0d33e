import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Version {
  name: string;
  version: string;
  source: string;
  run_id: string;
}

/**
 * A tiny stand-in for the MLflow tracking server: the alias and model-version endpoints and the
 * artifact proxy, answering in MLflow's REST shapes. Tests register versions and move aliases.
 */
export class FakeMlflow {
  readonly requests: string[] = [];
  private readonly versions = new Map<string, Version>();
  private readonly aliases = new Map<string, string>();
  private readonly artifacts = new Map<string, Buffer>();
  private down = false;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeMlflow> {
    let fake: FakeMlflow | null = null;
    const server = createServer((request, response) => {
      if (fake === null) response.writeHead(503).end();
      else fake.handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    fake = new FakeMlflow(server, `http://127.0.0.1:${port}`);
    return fake;
  }

  /** Registers a version whose `model/` folder holds the given files. */
  addVersion(name: string, version: string, files: Record<string, Buffer | string>): void {
    const runId = `run${name.length}${version}`;
    const source = `mlflow-artifacts:/1/${runId}/artifacts/model`;
    this.versions.set(`${name}\u0000${version}`, { name, version, source, run_id: runId });
    for (const [file, content] of Object.entries(files)) {
      this.artifacts.set(
        `1/${runId}/artifacts/model/${file}`,
        typeof content === 'string' ? Buffer.from(content) : content,
      );
    }
  }

  setAlias(name: string, alias: string, version: string | null): void {
    if (version === null) this.aliases.delete(`${name}\u0000${alias}`);
    else this.aliases.set(`${name}\u0000${alias}`, version);
  }

  /** While down, every request answers 503. */
  setDown(down: boolean): void {
    this.down = down;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    this.requests.push(`${request.method ?? 'GET'} ${url.pathname}${url.search}`);
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const missing = (): void => json(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'not found' });
    if (this.down) {
      json(503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'down' });
      return;
    }
    const name = url.searchParams.get('name') ?? '';
    if (url.pathname === '/api/2.0/mlflow/registered-models/alias') {
      const version = this.aliases.get(`${name}\u0000${url.searchParams.get('alias') ?? ''}`);
      const found = version === undefined ? undefined : this.versions.get(`${name}\u0000${version}`);
      if (found === undefined) missing();
      else json(200, { model_version: { ...found, status: 'READY', aliases: [] } });
      return;
    }
    if (url.pathname === '/api/2.0/mlflow/model-versions/get') {
      const found = this.versions.get(`${name}\u0000${url.searchParams.get('version') ?? ''}`);
      if (found === undefined) missing();
      else json(200, { model_version: { ...found, status: 'READY' } });
      return;
    }
    const prefix = '/api/2.0/mlflow-artifacts/artifacts/';
    if (url.pathname.startsWith(prefix)) {
      const path = decodeURIComponent(url.pathname.slice(prefix.length));
      const content = this.artifacts.get(path);
      if (content === undefined) missing();
      else response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(content);
      return;
    }
    missing();
  }
}
