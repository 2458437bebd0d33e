// Benchmark `api`: GET /v1/predictions/latest on the predictions API against a minimal Rust axum
// server answering the same JSON bytes from memory (bench/api/axum), in the same run, with the same
// load generator at 64 keep-alive connections. The API runs as its own process, started as in
// production from services/predictions-api/src/main.ts (keys in PostgreSQL, cache warmed from
// Elasticsearch), with a key checked and a token taken on every request. The main figures use both
// cores, as axum's two threads do: two node:cluster workers sharing the Redis bucket (with token
// leases), the fast lane on. Beside it, in the same rounds: the default deployment (one process,
// the memory bucket), the same process with the fast lane off (node:http serves everything), a
// bare node:http server answering the same bytes (node-floor.ts http), the floor of Node's HTTP
// stack, and a bare node:net server writing those bytes for each read (node-floor.ts net), the
// floor of Node's sockets, which is what the fast lane stands on, in one process and as two
// cluster workers: what sharing this 2-core machine with the load generator costs a cluster
// without any of the API's code (each worker sleeps and wakes in epoll about once per 3 answers,
// one process about once per 300).
//
// The load generator is bench/api/axum's `loadgen` (Rust, one thread), not autocannon: on this
// 2-core machine autocannon tops out near 35,000 req/s while taking a whole core, so it would
// measure itself on the axum side and flatter the ratio. loadgen drives axum at 110,000-145,000
// req/s for 0.6-0.7 of a core. Nothing is pinned to a core: each side shares the machine
// with the same generator. Rounds rotate the order of the sides so that drift in the machine's load
// hits all of them. A ratio to axum is taken within each round, between sides measured one right
// after the other, and the round with the median ratio is reported (its requests per second and
// latencies for both sides), with the CPU time each server (and Redis) spent per answer, which
// depends much less on that drift than requests per second do. The ratio of the two sides' median
// rounds, which pairs runs from different rounds, is reported beside it (ratio_of_medians).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deleteIndices, predictionId, type Prediction } from '@crypto-predict/core';
import { testElastic, testStack, uniquePrefix } from '@crypto-predict/core/testing';
import {
  ensurePredictionsTemplate,
  indexPredictions,
} from '../../services/price-predictor/src/adapters/prediction-index.js';
import { ApiKeyStore } from '../../services/predictions-api/src/adapters/api-key-store.js';
import type { BenchOptions, BenchResult } from '../run.js';
import { round } from '../lib/stats.js';

const CONNECTIONS = 64;
const PATH = '/v1/predictions/latest?pair=BTC/USDT&horizon=5';
const AXUM_DIR = fileURLToPath(new URL('./axum/', import.meta.url));
const API_MAIN = fileURLToPath(new URL('../../services/predictions-api/src/main.ts', import.meta.url));
const NODE_FLOOR = fileURLToPath(new URL('./node-floor.ts', import.meta.url));

const log = (message: string): void => void process.stderr.write(`[api] ${message}\n`);

/**
 * CPU seconds used so far by these processes (Linux /proc; clock ticks of 1/100 s): user + system,
 * and user only. User time is the server's own code (JavaScript, V8, Node, libuv, or axum's Rust)
 * without the kernel's sockets, and moves much less with the machine's load than the total does.
 */
function cpuSeconds(pids: number[]): { total: number; user: number } {
  let user = 0;
  let system = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += Number(fields[11]);
      system += Number(fields[12]);
    } catch {
      // gone
    }
  }
  return { total: (user + system) / 100, user: user / 100 };
}

/** A process and its children (the cluster primary and its workers). */
function processTree(pid: number): number[] {
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [pid, ...children];
}

/** The pid of the Redis server behind a URL, when redis-cli can tell. */
function redisPid(url: string): number | null {
  const info = spawnSync('redis-cli', ['-u', url, 'info', 'server'], { encoding: 'utf8' });
  const pid = /process_id:(\d+)/.exec(info.stdout ?? '')?.[1];
  return pid === undefined ? null : Number(pid);
}

interface LoadResult {
  requests: number;
  rps: number;
  mean_ms: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  non2xx: number;
  errors: number;
  cpu_s: number;
  measured_s: number;
  all_requests: number;
  /** Server CPU (µs) per answer over the whole run, warm-up included; and the rate limiter's Redis. */
  server_cpu_us?: number;
  /** The user-space part of server_cpu_us. */
  server_user_cpu_us?: number;
  redis_cpu_us?: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

function buildReference(): void {
  log('building bench/api/axum (cargo build --release)');
  const built = spawnSync('cargo', ['build', '--release', '--quiet'], {
    cwd: AXUM_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (built.error !== undefined) throw new Error(`cargo is needed to build the axum reference: ${built.error.message}`);
  if (built.status !== 0) throw new Error(`cargo build --release failed in ${AXUM_DIR} (exit ${String(built.status)})`);
}

async function untilAnswers(
  url: string,
  headers: Record<string, string>,
  what: string,
  child: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}) before answering`);
    try {
      const response = await fetch(url, { headers });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${url} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function stop(child: ChildProcess | null): Promise<void> {
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function load(
  url: string,
  headers: string[],
  warmUpS: number,
  measureS: number,
  server: number[],
  redis: number | null,
): LoadResult {
  const before = { server: cpuSeconds(server), redis: redis === null ? 0 : cpuSeconds([redis]).total };
  const result = spawnSync(
    join(AXUM_DIR, 'target/release/loadgen'),
    [url, String(CONNECTIONS), String(warmUpS), String(measureS), '1', ...headers],
    { encoding: 'utf8', timeout: (warmUpS + measureS + 30) * 1000 },
  );
  if (result.status !== 0) throw new Error(`loadgen failed (${String(result.status)}): ${result.stderr}`);
  const answer = JSON.parse(result.stdout.trim()) as LoadResult;
  const perRequest = (seconds: number): number => round((seconds * 1e6) / Math.max(1, answer.all_requests), 2);
  const after = cpuSeconds(server);
  answer.server_cpu_us = perRequest(after.total - before.server.total);
  answer.server_user_cpu_us = perRequest(after.user - before.server.user);
  if (redis !== null) answer.redis_cpu_us = perRequest(cpuSeconds([redis]).total - before.redis);
  return answer;
}

/**
 * The round in which `runs` compare to `reference` (measured in the same round, one after the
 * other) with the median ratio of requests per second: the side-by-side comparison least moved by
 * drift in the machine's load, unlike a ratio of medians taken from different rounds.
 */
function medianRound(
  runs: LoadResult[],
  reference: LoadResult[],
): { run: LoadResult; reference: LoadResult; ratio: number } {
  const rounds = runs.flatMap((run, i) => {
    const other = reference[i];
    return other === undefined ? [] : [{ run, reference: other, ratio: run.rps / other.rps }];
  });
  const middle = rounds.sort((a, b) => a.ratio - b.ratio)[Math.floor((rounds.length - 1) / 2)];
  if (middle === undefined) throw new Error('no rounds');
  return middle;
}

function median(results: LoadResult[]): LoadResult {
  const sorted = [...results].sort((a, b) => a.rps - b.rps);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (middle === undefined) throw new Error('no rounds');
  return middle;
}

function predictions(): Prediction[] {
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const model = { name: 'price-BTC-USDT-1m', version: '1', servedBy: 'champion' as const };
  return [1, 5, 15, 60].map((horizon) => ({
    v: 1,
    id: predictionId({ pair: 'BTC/USDT', horizon, featureTime: now, model }),
    pair: 'BTC/USDT',
    timeframe: '1m',
    horizon,
    featureTime: now,
    targetTime: now + horizon * 60_000,
    createdAt: now + 100,
    lastClose: 95_000,
    predictedLogReturn: 0.0001 * horizon,
    predictedPrice: 95_000 * Math.exp(0.0001 * horizon),
    lower: 94_800,
    upper: 95_200,
    coverage: 0.9,
    model,
  }));
}

/** One configuration of the API, started as in production. */
interface ApiUnderTest {
  name: string;
  workers: number;
  store: 'memory' | 'redis';
  fastLane: boolean;
  process: ChildProcess;
  url: string;
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const rounds = options.quick ? 1 : 5;
  const warmUpS = options.quick ? 1 : 2;
  const measureS = options.quick ? 3 : 5;
  buildReference();

  const stack = testStack();
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:16379';
  const prefix = uniquePrefix('bench-api');
  const schema = prefix.replace(/-/g, '_');
  const elastic = testElastic();
  const keys = ApiKeyStore.connect(stack.databaseUrl, schema);
  const scratch = mkdtempSync(join(tmpdir(), 'bench-api-'));
  const apis: ApiUnderTest[] = [];
  let axum: ChildProcess | null = null;
  let floor: ChildProcess | null = null;
  let netFloor: ChildProcess | null = null;
  let netFloorCluster: ChildProcess | null = null;
  try {
    await ensurePredictionsTemplate(elastic, prefix);
    await indexPredictions(elastic, prefix, predictions(), { refresh: 'wait_for' });
    await keys.ensureSchema();
    const { key } = await keys.create('bench');
    const auth = { 'x-api-key': key };

    // The default deployment (one process, the memory bucket, the fast lane); the same without the
    // fast lane; two cluster workers, whose shared bucket must then be in Redis.
    for (const [name, workers, store, fastLane] of [
      ['single', 1, 'memory', true],
      ['node:http only', 1, 'memory', false],
      ['cluster', 2, 'redis', true],
    ] as const) {
      const port = await freePort();
      log(
        `starting the API (${name}): ${workers} worker(s), ${store} rate limits, fast lane ${fastLane ? 'on' : 'off'}, on port ${port}`,
      );
      const child = spawn(process.execPath, ['--import', 'tsx', API_MAIN], {
        env: {
          ...process.env,
          PORT: String(port),
          WORKERS: String(workers),
          RATE_LIMIT_STORE: store,
          FAST_LANE: String(fastLane),
          REDIS_URL: redisUrl,
          // High enough never to refuse the benchmark, but every request still takes a token.
          RATE_LIMIT_PER_S: '1000000000',
          RATE_LIMIT_BURST: '1000000000',
          ELASTICSEARCH_URL: stack.elasticsearchUrl,
          DATABASE_URL: stack.databaseUrl,
          DATABASE_SCHEMA: schema,
          TOPIC_PREFIX: prefix,
          FEED_ENABLED: 'false',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const api: ApiUnderTest = {
        name,
        workers,
        store,
        fastLane,
        process: child,
        url: `http://127.0.0.1:${port}${PATH}`,
      };
      apis.push(api);
      await untilAnswers(api.url, auth, `the API (${name})`, child);
    }
    const [single, plainHttp, cluster] = apis as [ApiUnderTest, ApiUnderTest, ApiUnderTest];
    const body = Buffer.from(await (await fetch(single.url, { headers: auth })).arrayBuffer());
    const bodyFile = join(scratch, 'latest.json');
    writeFileSync(bodyFile, body);

    const axumPort = await freePort();
    axum = spawn(join(AXUM_DIR, 'target/release/axum-latest'), [String(axumPort), bodyFile], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const axumUrl = `http://127.0.0.1:${axumPort}${PATH}`;
    await untilAnswers(axumUrl, {}, 'the axum server', axum);
    const floorPort = await freePort();
    floor = spawn(process.execPath, ['--import', 'tsx', NODE_FLOOR, String(floorPort), bodyFile, 'http'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const floorUrl = `http://127.0.0.1:${floorPort}${PATH}`;
    await untilAnswers(floorUrl, {}, 'the bare node:http server', floor);
    const netFloorPort = await freePort();
    netFloor = spawn(process.execPath, ['--import', 'tsx', NODE_FLOOR, String(netFloorPort), bodyFile, 'net'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const netFloorUrl = `http://127.0.0.1:${netFloorPort}${PATH}`;
    await untilAnswers(netFloorUrl, {}, 'the bare node:net server', netFloor);
    const netFloorClusterPort = await freePort();
    netFloorCluster = spawn(
      process.execPath,
      ['--import', 'tsx', NODE_FLOOR, String(netFloorClusterPort), bodyFile, 'net', '2'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const netFloorClusterUrl = `http://127.0.0.1:${netFloorClusterPort}${PATH}`;
    await untilAnswers(netFloorClusterUrl, {}, 'the bare node:net cluster', netFloorCluster);
    // Both workers up: the primary forks them at once, and each answers when it listens.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const [what, url, headers] of [
      ['axum', axumUrl, {}],
      ['the bare node:http server', floorUrl, {}],
      ['the bare node:net server', netFloorUrl, {}],
      ['the bare node:net cluster', netFloorClusterUrl, {}],
      ['the cluster', cluster.url, auth],
      ['the API without the fast lane', plainHttp.url, auth],
    ] as const) {
      const other = Buffer.from(await (await fetch(url, { headers })).arrayBuffer());
      if (!other.equals(body)) throw new Error(`${what} must answer the same bytes as the API`);
    }

    const redis = redisPid(redisUrl);
    const describe = (r: LoadResult): string =>
      `${Math.round(r.rps)} req/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, non-2xx ${r.non2xx}, errors ${r.errors}, ` +
      `server CPU ${r.server_cpu_us} µs/req (user ${r.server_user_cpu_us})` +
      `${r.redis_cpu_us === undefined ? '' : ` (+ Redis ${r.redis_cpu_us})`}, ` +
      `loadgen ${round(r.cpu_s / r.measured_s, 2)} core`;
    const sides = [
      {
        name: 'node (1 process, memory bucket)',
        url: single.url,
        headers: [`x-api-key: ${key}`],
        pids: [single.process.pid ?? -1],
        redis: null,
      },
      {
        name: 'node (1 process, memory bucket, node:http only)',
        url: plainHttp.url,
        headers: [`x-api-key: ${key}`],
        pids: [plainHttp.process.pid ?? -1],
        redis: null,
      },
      {
        name: 'node (2 workers, Redis bucket)',
        url: cluster.url,
        headers: [`x-api-key: ${key}`],
        pids: processTree(cluster.process.pid ?? -1),
        redis,
      },
      { name: 'axum', url: axumUrl, headers: [], pids: [axum.pid ?? -1], redis: null },
      { name: 'bare node:http', url: floorUrl, headers: [], pids: [floor.pid ?? -1], redis: null },
      { name: 'bare node:net', url: netFloorUrl, headers: [], pids: [netFloor.pid ?? -1], redis: null },
      {
        name: 'bare node:net (2 workers)',
        url: netFloorClusterUrl,
        headers: [],
        pids: processTree(netFloorCluster.pid ?? -1),
        redis: null,
      },
    ];
    const results: LoadResult[][] = sides.map(() => []);
    for (let round_ = 0; round_ < rounds; round_ += 1) {
      // Each round starts with another side, so that none is always measured first or last.
      for (let turn = 0; turn < sides.length; turn += 1) {
        const i = (round_ + turn) % sides.length;
        const side = sides[i];
        if (side === undefined) continue;
        const result = load(side.url, side.headers, warmUpS, measureS, side.pids, side.redis);
        log(`round ${round_ + 1} ${side.name}: ${describe(result)}`);
        results[i]?.push(result);
      }
    }
    const [singleRuns, plainRuns, clusterRuns, axumRuns, floorRuns, netFloorRuns, netClusterRuns] = results as [
      LoadResult[],
      LoadResult[],
      LoadResult[],
      LoadResult[],
      LoadResult[],
      LoadResult[],
      LoadResult[],
    ];
    const bare = median(floorRuns);
    const clusterRound = medianRound(clusterRuns, axumRuns);
    const singleRound = medianRound(singleRuns, axumRuns);
    const plainRound = medianRound(plainRuns, axumRuns);
    const netRound = medianRound(netFloorRuns, axumRuns);
    const netClusterRound = medianRound(netClusterRuns, axumRuns);
    const [n, a, ratio] = [clusterRound.run, clusterRound.reference, clusterRound.ratio];
    const [one, plain] = [singleRound.run, plainRound.run];
    const ratioOfMedians = median(clusterRuns).rps / median(axumRuns).rps;
    log(
      `node (2 workers, Redis bucket with leases, fast lane) ${Math.round(n.rps)} req/s, p99 ${n.p99_ms} ms; axum ` +
        `${Math.round(a.rps)} req/s in the same round: ${round(ratio, 3)}x, the median round's (targets: 0.8x, ` +
        `p99 <= 5 ms; ratio of the medians ${round(ratioOfMedians, 3)}x); one process with the memory bucket ` +
        `${round(singleRound.ratio, 3)}x, p99 ${one.p99_ms} ms; one process without the fast lane ` +
        `${round(plainRound.ratio, 3)}x; the bare node:net floor ${round(netRound.ratio, 3)}x in one process, ` +
        `${round(netClusterRound.ratio, 3)}x as 2 workers`,
    );
    const errors = (runs: LoadResult[]): number => runs.reduce((sum, r) => sum + r.non2xx + r.errors, 0);
    const ratios = (runs: LoadResult[], reference: LoadResult[]): number[] =>
      runs.map((r, i) => round(r.rps / (reference[i]?.rps ?? Number.NaN), 3));
    return {
      rps: round(n.rps, 0),
      p50_ms: n.p50_ms,
      p99_ms: n.p99_ms,
      axum_rps: round(a.rps, 0),
      ratio_vs_axum: round(ratio, 3),
      errors: errors(clusterRuns),
      targets_met: ratio >= 0.8 && n.p99_ms <= 5,
      ratio_of_medians: round(ratioOfMedians, 3),
      deployment: `${cluster.workers} node:cluster workers, Redis token bucket with leases, fast lane on (both cores, as axum)`,
      cpu_us_per_request: n.server_cpu_us,
      user_cpu_us_per_request: n.server_user_cpu_us,
      redis_cpu_us_per_request: n.redis_cpu_us ?? null,
      axum_p50_ms: a.p50_ms,
      axum_p99_ms: a.p99_ms,
      axum_errors: errors(axumRuns),
      axum_cpu_us_per_request: a.server_cpu_us,
      axum_user_cpu_us_per_request: a.server_user_cpu_us,
      single_process_rps: round(one.rps, 0),
      single_process_p50_ms: one.p50_ms,
      single_process_p99_ms: one.p99_ms,
      single_process_ratio_vs_axum: round(singleRound.ratio, 3),
      single_process_errors: errors(singleRuns),
      single_process_cpu_us_per_request: one.server_cpu_us,
      single_process_user_cpu_us_per_request: one.server_user_cpu_us,
      node_http_only_rps: round(plain.rps, 0),
      node_http_only_p50_ms: plain.p50_ms,
      node_http_only_p99_ms: plain.p99_ms,
      node_http_only_ratio_vs_axum: round(plainRound.ratio, 3),
      node_http_only_errors: errors(plainRuns),
      node_http_only_cpu_us_per_request: plain.server_cpu_us,
      fast_lane_speedup: round(medianRound(singleRuns, plainRuns).ratio, 3),
      node_floor_rps: round(bare.rps, 0),
      node_floor_p99_ms: bare.p99_ms,
      node_floor_cpu_us_per_request: bare.server_cpu_us,
      node_net_floor_rps: round(netRound.run.rps, 0),
      node_net_floor_p99_ms: netRound.run.p99_ms,
      node_net_floor_ratio_vs_axum: round(netRound.ratio, 3),
      node_net_floor_cpu_us_per_request: netRound.run.server_cpu_us,
      node_net_floor_user_cpu_us_per_request: netRound.run.server_user_cpu_us,
      node_net_floor_2_workers_rps: round(netClusterRound.run.rps, 0),
      node_net_floor_2_workers_ratio_vs_axum: round(netClusterRound.ratio, 3),
      node_net_floor_2_workers_cpu_us_per_request: netClusterRound.run.server_cpu_us,
      node_net_floor_2_workers_user_cpu_us_per_request: netClusterRound.run.server_user_cpu_us,
      connections: CONNECTIONS,
      rounds,
      measure_s_per_round: measureS,
      rounds_rps: clusterRuns.map((r) => round(r.rps, 0)),
      // Each round measures every side once, one after the other: the ratio within a round is the
      // side-by-side one, the least exposed to drift in the machine's load.
      rounds_ratio_vs_axum: ratios(clusterRuns, axumRuns),
      single_process_rounds_rps: singleRuns.map((r) => round(r.rps, 0)),
      single_process_rounds_ratio_vs_axum: ratios(singleRuns, axumRuns),
      node_net_floor_rounds_ratio_vs_axum: ratios(netFloorRuns, axumRuns),
      node_net_floor_2_workers_rounds_ratio_vs_axum: ratios(netClusterRuns, axumRuns),
      node_http_only_rounds_rps: plainRuns.map((r) => round(r.rps, 0)),
      axum_rounds_rps: axumRuns.map((r) => round(r.rps, 0)),
      loadgen: 'bench/api/axum loadgen (Rust, 1 thread)',
      loadgen_cpu_share_node: round(n.cpu_s / n.measured_s, 2),
      loadgen_cpu_share_axum: round(a.cpu_s / a.measured_s, 2),
      load_average_1m: round(loadavg()[0] ?? Number.NaN, 2),
      cores: availableParallelism(),
      body_bytes: body.length,
    };
  } finally {
    await stop(floor);
    await stop(netFloor);
    await stop(netFloorCluster);
    await stop(axum);
    await Promise.all(apis.map((api) => stop(api.process)));
    rmSync(scratch, { recursive: true, force: true });
    await deleteIndices(elastic, `${prefix}-*`).catch(() => undefined);
    await elastic.close();
    await keys.dropSchema().catch(() => undefined);
    await keys.close();
    // The key's bucket in Redis expires by itself about a second after the last request.
  }
}
