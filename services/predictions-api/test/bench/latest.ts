/**
 * Load on the hot path, GET /v1/predictions/latest, of the API run as its own process against the
 * real stores (keys in PostgreSQL, cache warmed from Elasticsearch), with autocannon in another
 * process. Prints one JSON line: requests/s and latency percentiles per scenario.
 *
 *   npm run -w @crypto-predict/predictions-api bench -- [--duration 10] [--connections 64]
 */
import { execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { deleteIndices, predictionId, type Prediction } from '@crypto-predict/core';
import { testElastic, testStack, uniquePrefix } from '@crypto-predict/core/testing';
import { indexPredictions } from '@crypto-predict/price-predictor/prediction-index';
import { ApiKeyStore } from '../../src/adapters/api-key-store.js';
import { schemaFor } from '../support/database.js';
import { installIndexMappings } from '../support/indices.js';
import { keysCli } from '../support/keys-cli.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '64' } },
});
const stack = testStack();
const prefix = uniquePrefix();
const schema = schemaFor(prefix);
const elastic = testElastic();
const db = { DATABASE_URL: stack.databaseUrl, DATABASE_SCHEMA: schema };

const now = Math.floor(Date.now() / 60_000) * 60_000;
const predictions: Prediction[] = [1, 5, 15, 60].map((horizon) => {
  const model = { name: 'price-BTC-USDT-1m', version: '1', servedBy: 'champion' as const };
  return {
    v: 1,
    id: predictionId({ pair: 'BTC/USDT', horizon, featureTime: now, model }),
    pair: 'BTC/USDT',
    timeframe: '1m',
    horizon,
    featureTime: now,
    targetTime: now + horizon * 60_000,
    createdAt: now + 100,
    lastClose: 95_000,
    predictedLogReturn: 0.0001,
    predictedPrice: 95_009.5,
    lower: 94_800,
    upper: 95_200,
    coverage: 0.9,
    model,
  };
});

async function main(): Promise<void> {
  await installIndexMappings(elastic, prefix);
  await indexPredictions(elastic, prefix, predictions, { refresh: 'wait_for' });
  const key = (await keysCli(['create', '--name', 'bench'], db)).stdout.trim();
  const api = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      ...process.env,
      ...db,
      PORT: '0',
      ELASTICSEARCH_URL: stack.elasticsearchUrl,
      TOPIC_PREFIX: prefix,
      FEED_ENABLED: 'false',
      RATE_LIMIT_PER_S: '1000000000',
      RATE_LIMIT_BURST: '1000000000',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      api.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const match = /"url":"(http:\/\/[^"]+)".*predictions-api listening/.exec(buffered);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      api.once('exit', (code) => reject(new Error(`the API exited (${String(code)}) before listening`)));
    });
    const scenarios = {
      latestOneHorizon: `${url}/v1/predictions/latest?pair=BTC/USDT&horizon=5`,
      latestAllHorizons: `${url}/v1/predictions/latest?pair=BTC/USDT`,
    };
    const results: Record<string, unknown> = {};
    for (const [name, target] of Object.entries(scenarios)) {
      // A short warm-up so the key check is cached and the JIT is hot, then the measured run.
      await run(process.execPath, [AUTOCANNON, '-c', '8', '-d', '2', '-j', '-H', `x-api-key=${key}`, target], {
        maxBuffer: 1 << 24,
      });
      const { stdout } = await run(
        process.execPath,
        [AUTOCANNON, '-c', values.connections, '-d', values.duration, '-j', '-H', `x-api-key=${key}`, target],
        { maxBuffer: 1 << 24 },
      );
      const report = JSON.parse(stdout) as {
        requests: { average: number; total: number };
        latency: { p50: number; p90: number; p99: number; max: number };
        non2xx: number;
        errors: number;
      };
      results[name] = {
        requestsPerSecond: report.requests.average,
        requests: report.requests.total,
        latencyMs: {
          p50: report.latency.p50,
          p90: report.latency.p90,
          p99: report.latency.p99,
          max: report.latency.max,
        },
        non2xx: report.non2xx,
        errors: report.errors,
      };
      if (report.non2xx > 0 || report.errors > 0)
        throw new Error(`${name}: ${report.non2xx} non-2xx answers, ${report.errors} errors`);
    }
    console.log(
      JSON.stringify({
        bench: 'predictions-api-latest',
        connections: Number(values.connections),
        durationS: Number(values.duration),
        ...results,
      }),
    );
  } finally {
    api.kill('SIGTERM');
    await new Promise((resolve) => api.once('exit', resolve));
  }
}

try {
  await main();
} finally {
  await deleteIndices(elastic, `${prefix}-*`);
  await elastic.close();
  const store = ApiKeyStore.connect(stack.databaseUrl, schema);
  await store.dropSchema().catch(() => undefined);
  await store.close();
}
