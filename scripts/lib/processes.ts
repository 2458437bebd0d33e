import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A free TCP port on loopback, for a service started by a test or the main job. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ProcessSpec {
  name: string;
  /** The program and its arguments; a `.ts` entry is run with Node and tsx. */
  command: string[];
  env?: Record<string, string>;
  /** Echo the process's output to this process's stderr, prefixed with its name. */
  echo?: boolean;
}

interface Running {
  spec: ProcessSpec;
  /** A command run to completion (a job), rather than a service expected to keep running. */
  job: boolean;
  child: ChildProcess;
  exited: Promise<number | null>;
  log: WriteStream;
}

/**
 * Starts the services of a pipeline as child processes, each logging to its own file, and stops
 * them all (SIGTERM, then SIGKILL) so nothing outlives the test or job that started it.
 */
export class ProcessGroup {
  private readonly running: Running[] = [];

  constructor(readonly logDir: string) {
    mkdirSync(logDir, { recursive: true });
  }

  start(spec: ProcessSpec): ChildProcess {
    const [program, ...args] = spec.command;
    if (program === undefined) throw new Error(`process ${spec.name} has no command`);
    const isTs = program.endsWith('.ts');
    const child = spawn(isTs ? process.execPath : program, isTs ? ['--import', 'tsx', program, ...args] : args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(join(this.logDir, `${spec.name}.log`));
    for (const stream of [child.stdout, child.stderr]) {
      stream?.pipe(log, { end: false });
      if (spec.echo === true) {
        stream?.on('data', (chunk: Buffer) => {
          for (const line of chunk.toString('utf8').split('\n'))
            if (line !== '') process.stderr.write(`[${spec.name}] ${line}\n`);
        });
      }
    }
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    this.running.push({ spec, child, exited, log, job: false });
    return child;
  }

  /** Runs a command to completion and returns its stdout; throws with the log's path on failure. */
  async run(spec: ProcessSpec): Promise<string> {
    const child = this.start(spec);
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const entry = this.running.find((item) => item.child === child);
    if (entry !== undefined) entry.job = true;
    const code = await entry?.exited;
    if (code !== 0) {
      throw new Error(`${spec.name} exited with ${String(code)}; see ${join(this.logDir, `${spec.name}.log`)}`);
    }
    return stdout;
  }

  /** Services (not jobs) that have exited, with their codes: a service should not. */
  exitedEarly(): { name: string; code: number | null }[] {
    return this.running
      .filter((item) => !item.job && (item.child.exitCode !== null || item.child.signalCode !== null))
      .map((item) => ({ name: item.spec.name, code: item.child.exitCode }));
  }

  async stopAll(timeoutMs = 10_000): Promise<void> {
    const alive = this.running.filter((item) => item.child.exitCode === null && item.child.signalCode === null);
    for (const item of alive) item.child.kill('SIGTERM');
    await Promise.all(
      alive.map(async (item) => {
        const timer = setTimeout(() => item.child.kill('SIGKILL'), timeoutMs);
        await item.exited;
        clearTimeout(timer);
      }),
    );
    for (const item of this.running) item.log.end();
  }
}

/** Polls until `check` returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs: number; intervalMs?: number; onTick?: () => void },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    options.onTick?.();
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
  const cause = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${cause}`);
}

/** Resolves once a service's /readyz answers 200. */
export async function waitReady(name: string, port: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `${name} to be ready on port ${port}`,
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      return response.ok ? true : undefined;
    },
    { timeoutMs },
  );
}
