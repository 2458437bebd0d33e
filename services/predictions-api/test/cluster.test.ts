import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { testStack, uniquePrefix } from '@crypto-predict/core/testing';
import { ApiKeyStore } from '../src/adapters/api-key-store.js';
import { rateLimitKeyPrefix } from '../src/config.js';
import { schemaFor } from './support/database.js';
import { deleteKeys, stackRedisUrl } from './support/redis.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

interface Running {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
}

/** The processes whose parent is `pid` (Linux /proc). */
/** The Node processes whose parent is `pid` (tsx's esbuild helper is a child too, and not a worker). */
function childrenOf(pid: number): number[] {
  const node = realpathSync(process.execPath);
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return (
          Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid &&
          readlinkSync(`/proc/${entry}/exe`) === node
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

function startMain(env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { ...process.env, ...env } });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

describe('predictions-api as a node:cluster of two workers sharing a Redis bucket', { timeout: 90_000 }, () => {
  const stack = testStack();
  const prefix = uniquePrefix('cluster');
  const schema = schemaFor(prefix);
  const keys = ApiKeyStore.connect(stack.databaseUrl, schema);
  let key = '';
  let api: Running;
  let url = '';

  before(async () => {
    await keys.ensureSchema();
    key = (await keys.create('cluster')).key;
    api = startMain({
      PORT: '0',
      WORKERS: '2',
      RATE_LIMIT_STORE: 'redis',
      REDIS_URL: stackRedisUrl(),
      // Generous: on a loaded machine a stalled worker must not decide in memory instead.
      RATE_LIMIT_REDIS_TIMEOUT_MS: '5000',
      RATE_LIMIT_PER_S: '0.01',
      RATE_LIMIT_BURST: '12',
      ELASTICSEARCH_URL: stack.elasticsearchUrl,
      DATABASE_URL: stack.databaseUrl,
      DATABASE_SCHEMA: schema,
      TOPIC_PREFIX: prefix,
      FEED_ENABLED: 'false',
    });
    const deadline = Date.now() + 60_000;
    while (!api.output().includes('predictions-api workers listening')) {
      if (Date.now() > deadline || api.child.exitCode !== null)
        throw new Error(`the cluster did not start:\n${api.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    url = /"url":"(http:\/\/[^"]+)"/.exec(api.output())?.[1] ?? '';
    assert.notEqual(url, '', 'a worker must log the URL it listens on');
  });

  after(async () => {
    if (api.child.exitCode === null) {
      api.child.kill('SIGKILL');
      await api.exited;
    }
    await deleteKeys(stackRedisUrl(), rateLimitKeyPrefix({ TOPIC_PREFIX: prefix }));
    await keys.dropSchema();
    await keys.close();
  });

  it('starts both workers, shares one bucket across them, and reports the metrics of both', async () => {
    const listening = api.output().match(/"msg":"predictions-api listening"/g) ?? [];
    assert.equal(listening.length, 2, 'two workers must be listening');
    // A fresh connection per request: the primary hands connections to the workers in turn.
    const statuses: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const response = await fetch(`${url}/v1/pairs`, { headers: { 'x-api-key': key, connection: 'close' } });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    assert.equal(statuses.filter((s) => s === 200).length, 12, 'the workers together allow one burst');
    assert.equal(statuses.filter((s) => s === 429).length, 8);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const value = (status: string): number =>
      Number(
        new RegExp(`api_requests_total\\{route="pairs",status="${status}"[^}]*\\} (\\d+)`).exec(metrics)?.[1] ?? 0,
      );
    assert.deepEqual([value('200'), value('429')], [12, 8], 'the metrics must add up the requests of both workers');
  });

  it('stops every worker on SIGTERM', async () => {
    const workers = childrenOf(api.child.pid ?? -1);
    assert.equal(workers.length, 2, 'the primary must have two worker processes');
    api.child.kill('SIGTERM');
    assert.equal(await api.exited, 0, `the primary must exit cleanly:\n${api.output().slice(-2_000)}`);
    for (const pid of workers) assert.throws(() => process.kill(pid, 0), `worker ${pid} must be gone`);
  });

  it('refuses more than one worker with the memory bucket, saying why', async () => {
    const refused = startMain({ WORKERS: '2', RATE_LIMIT_STORE: 'memory', DATABASE_URL: stack.databaseUrl });
    assert.equal(await refused.exited, 1);
    assert.match(refused.output(), /WORKERS: more than one worker needs RATE_LIMIT_STORE=redis/);
  });
});
