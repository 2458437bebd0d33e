// The main job: with the local stack running, compute features for the real 2023-2024 candles,
// train and register a model, then replay a real day of 2025 through all seven services
// (accelerated) and leave the API serving predictions. `--live` takes trades from Kraken instead.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { createElasticClient, indexName } from '@crypto-predict/core';
import { sharedDataDir } from '@crypto-predict/core/market-data';
import { backfillFeatures, createApiKey, trainModel } from './lib/jobs.js';
import { startPipeline } from './lib/pipeline.js';
import { ProcessGroup, REPO_ROOT } from './lib/processes.js';
import { stackEnv } from '@crypto-predict/core';

const USAGE = `usage: bash scripts/main.sh [--day 2025-11-17] [--speed 120] [--train-from 2023-01-01]
                          [--train-to 2025-01-01] [--skip-training] [--live] [--port 8080]
                          [--dashboard-port 8088]
  --day            the real day of 2025 to replay (UTC)
  --speed          replay speed over real time (120 = a day in 12 minutes; 0 = as fast as possible)
  --train-from/-to the span of real candles the model is trained on
  --skip-training  serve the model already registered (or naive) instead of training again
  --live           take live trades from Kraken's WebSocket instead of replaying a day`;

const MODEL_NAME = 'price-BTC-USDT-1m';
const PAIR = 'BTC/USDT';

function say(message: string): void {
  process.stderr.write(`\x1b[1m[main ${new Date().toISOString().slice(11, 19)}]\x1b[0m ${message}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      day: { type: 'string', default: '2025-11-17' },
      speed: { type: 'string', default: '120' },
      'train-from': { type: 'string', default: '2023-01-01' },
      'train-to': { type: 'string', default: '2025-01-01' },
      'skip-training': { type: 'boolean', default: false },
      live: { type: 'boolean', default: false },
      port: { type: 'string', default: '8080' },
      'dashboard-port': { type: 'string', default: '8088' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const speed = Number(values.speed);
  const port = Number(values.port);
  const dashboardPort = Number(values['dashboard-port']);
  const dayStart = Date.parse(`${values.day}T00:00:00Z`);
  if (
    !Number.isFinite(speed) ||
    speed < 0 ||
    !Number.isInteger(port) ||
    !Number.isInteger(dashboardPort) ||
    Number.isNaN(dayStart)
  ) {
    throw new Error(`bad arguments\n${USAGE}`);
  }
  const replayFrom = new Date(dayStart).toISOString();
  const replayTo = new Date(dayStart + 86_400_000).toISOString();
  const stack = stackEnv();
  const group = new ProcessGroup(join(REPO_ROOT, '.data', 'logs', new Date().toISOString().replace(/[:.]/g, '-')));
  const stop = async (): Promise<void> => {
    say('stopping the services (the stack keeps running: bash scripts/stack.sh stop)');
    await group.stopAll();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());

  say(`features: real BTC/USDT 1m candles ${values['train-from']} -> ${values.day} into the feature store`);
  const backfill = await backfillFeatures(
    group,
    stack,
    {
      pair: PAIR,
      timeframe: '1m',
      from: values['train-from'],
      to: values.live ? new Date().toISOString() : replayFrom,
    },
    { saveState: true, echo: true },
  );
  say(`features written: ${JSON.stringify(backfill)}`);

  if (!values['skip-training']) {
    say(`training on ${values['train-from']} -> ${values['train-to']} (walk-forward, naive baseline, ridge)`);
    const trained = await trainModel(
      group,
      stack,
      { pair: PAIR, timeframe: '1m', from: values['train-from'], to: values['train-to'], modelName: MODEL_NAME },
      { echo: true },
    );
    const champion = trained.champion as { promoted?: boolean; reason?: string } | undefined;
    say(
      `registered ${MODEL_NAME} v${String(trained.version)}; champion: ${champion?.promoted === true ? 'promoted' : 'not promoted'} (${champion?.reason ?? ''})`,
    );
    if (champion?.promoted !== true)
      say('the predictor serves the naive forecast unless an earlier champion exists, and says so');
  }

  const apiKey = await createApiKey(group, stack, `main-${Date.now()}`);
  say(
    values.live
      ? 'starting the seven services and the dashboard on live Kraken trades'
      : `starting the seven services and the dashboard; replaying ${values.day} at ${speed}x`,
  );
  const pipeline = await startPipeline({
    group,
    stack,
    prefix: '',
    pair: PAIR,
    replay: { from: replayFrom, to: replayTo, speed },
    ...(values.live ? { live: true } : {}),
    ...(values.live
      ? {}
      : {
          news: {
            file: join(sharedDataDir(), 'news', 'cryptopanic_2025-11-14_2025-11-17.csv.gz'),
            speed,
            from: replayFrom,
            to: replayTo,
          },
        }),
    model: { name: MODEL_NAME },
    apiPort: port,
    dashboardPort,
    echo: false,
  });

  const elastic = createElasticClient(stack.elasticsearchUrl);
  const base = `http://127.0.0.1:${port}`;
  const banner = [
    '',
    'The system is running. Where to look:',
    `  API            ${base}/v1/predictions/latest?pair=BTC/USDT   (docs: ${base}/docs, OpenAPI: ${base}/openapi.json)`,
    `  API key        ${apiKey}`,
    `  try            curl -H "Authorization: Bearer ${apiKey}" '${base}/v1/predictions/latest?pair=BTC/USDT&horizon=5'`,
    `  performance    curl -H "Authorization: Bearer ${apiKey}" '${base}/v1/performance?pair=BTC/USDT&horizon=5&window=24h'`,
    `  dashboard      http://127.0.0.1:${dashboardPort}/?pair=BTC-USDT`,
    `  MLflow         ${stack.mlflowUri}`,
    `  Elasticsearch  ${stack.elasticsearchUrl}/predictions/_search`,
    `  metrics        ${Object.entries(pipeline.ports)
      .map(([name, p]) => `${name}:${p}`)
      .join('  ')}  (each serves /metrics, /healthz, /readyz)`,
    `  logs           ${group.logDir}`,
    'Ctrl-C stops the services.',
  ].join('\n');
  process.stderr.write(`${banner}\n`);

  const count = async (index: string): Promise<number> => {
    try {
      return (await elastic.count({ index: indexName('', index), ignore_unavailable: true })).count;
    } catch {
      return 0;
    }
  };
  const replayClock = async (): Promise<string> => {
    try {
      const response = await elastic.search<{ featureTime: number }>({
        index: indexName('', 'predictions'),
        size: 1,
        sort: [{ featureTime: 'desc' }],
        ignore_unavailable: true,
      });
      const newest = response.hits.hits[0]?._source?.featureTime;
      return newest === undefined ? '-' : new Date(newest).toISOString().slice(0, 16);
    } catch {
      return '-';
    }
  };
  setInterval(() => {
    void (async () => {
      const [predictions, errors, clock] = await Promise.all([
        count('predictions'),
        count('prediction-errors'),
        replayClock(),
      ]);
      const early = group.exitedEarly();
      say(
        `data time ${clock}: predictions indexed ${predictions}, scored ${errors}${early.length > 0 ? `; EXITED: ${JSON.stringify(early)}` : ''}`,
      );
    })();
  }, 15_000).unref();
  await new Promise(() => undefined);
}

main().catch((error: unknown) => {
  process.stderr.write(`main: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
