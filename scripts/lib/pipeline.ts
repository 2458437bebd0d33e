import { join } from 'node:path';
import { topicName, type StackEnv } from '@crypto-predict/core';
import { freePort, REPO_ROOT, waitReady, type ProcessGroup } from './processes.js';

/**
 * The seven services (and the dashboard) wired together, as the main job, the end-to-end tests and the e2e benchmark
 * run them: one child process per service, all sharing a topic/index prefix.
 */
export interface PipelineOptions {
  group: ProcessGroup;
  stack: StackEnv;
  /** Topic and index prefix; empty for the main job's production-like names. */
  prefix: string;
  pair: string;
  /**
   * The span of real trades to replay (ISO times) and the speed over real time (0 = max). With
   * `file`, the trades of that CSV (`time_ms,price,qty,side[,trade_id]`) are replayed instead of the
   * trades expanded from the real candles of the span.
   */
  replay: { from: string; to: string; speed: number; file?: string };
  /** Take live trades from Kraken's WebSocket (with REST backfill) instead of the replay. */
  live?: boolean;
  /** A recorded news file to replay through the sentiment extractor, if any. */
  news?: { file: string; speed: number; from?: string; to?: string };
  /** The registered model to serve: follow an alias (champion by default), or pin one version. */
  model: { name: string; alias?: string; version?: string };
  /** The trainer's `serve` settings (its README); by default the last 30 days, every 24 h. */
  trainer?: { lookback?: string; interval?: string; horizons?: string };
  apiPort: number;
  /** The dashboard's web page port (default: any free port). */
  dashboardPort?: number;
  /** Which services to start (default: all); a test of one path can leave the others out. */
  services?: readonly ServiceName[];
  /** Extra environment per service, e.g. small monitor thresholds in a test. */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  echo?: boolean;
  logLevel?: string;
}

export const SERVICES = [
  'technical-indicators',
  'price-predictor',
  'model-error-monitor',
  'model-trainer',
  'predictions-api',
  'sentiment-extractor',
  'dashboard',
  'trade-to-ohlc',
] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface RunningPipeline {
  /** The ops (health/metrics) port of each service started; the API's is its HTTP port. */
  ports: Partial<Record<ServiceName, number>>;
}

/** How one service is started. Adding a service to the pipeline is adding one of these. */
interface ServiceDefinition {
  /** The program and its arguments; a `.ts` entry is run with Node and tsx. */
  command: string[];
  /** Its own settings, beside the common ones (stack URLs, prefix, pair, log level, ops port). */
  env: (options: PipelineOptions) => Record<string, string>;
  /** The variable that names the port its /readyz answers on (OPS_PORT unless it says otherwise). */
  portVariable?: string;
  /** A fixed port rather than a free one. */
  port?: (options: PipelineOptions) => number;
  /** It starts the flow of data, so it starts last, once every other service is ready. */
  source?: boolean;
}

function tsEntry(service: string): string[] {
  return [join(REPO_ROOT, 'services', service, 'src', 'main.ts')];
}

const DEFINITIONS: Record<ServiceName, ServiceDefinition> = {
  'technical-indicators': { command: tsEntry('technical-indicators'), env: () => ({}) },
  'price-predictor': {
    command: tsEntry('price-predictor'),
    env: ({ model }) => ({
      MODEL_NAME: model.name,
      MODEL_ALIAS: model.alias ?? 'champion',
      ...(model.version === undefined ? {} : { MODEL_VERSION: model.version }),
      MODEL_POLL_MS: '5000',
      MODEL_CACHE_DIR: join(REPO_ROOT, '.data', 'models'),
    }),
  },
  'model-error-monitor': { command: tsEntry('model-error-monitor'), env: ({ model }) => ({ MODEL_NAME: model.name }) },
  'model-trainer': {
    // The Python trainer's long-running mode: scheduled runs and the monitor's retrain requests.
    command: [join(REPO_ROOT, '.venv', 'bin', 'python'), '-m', 'crypto_trainer', 'serve'],
    env: ({ model, prefix, trainer }) => ({
      MODEL_NAME: model.name,
      CONSUMER_GROUP: prefix === '' ? 'model-trainer' : topicName(prefix, 'model-trainer'),
      TRAIN_LOOKBACK: trainer?.lookback ?? '30d',
      TRAIN_INTERVAL: trainer?.interval ?? '24h',
      ...(trainer?.horizons === undefined ? {} : { HORIZONS: trainer.horizons }),
      LOG_FORMAT: 'json',
      // Within the process group's 10 s between SIGTERM and SIGKILL, so it exits on its own.
      SHUTDOWN_GRACE: '8s',
    }),
  },
  'predictions-api': {
    command: tsEntry('predictions-api'),
    env: () => ({}),
    portVariable: 'PORT',
    port: ({ apiPort }) => apiPort,
  },
  'sentiment-extractor': {
    command: tsEntry('sentiment-extractor'),
    env: ({ news }) =>
      news === undefined
        ? { SOURCE: 'none' }
        : {
            SOURCE: 'replay',
            NEWS_FILE: news.file,
            REPLAY_SPEED: String(news.speed),
            ...(news.from === undefined ? {} : { REPLAY_FROM: news.from }),
            ...(news.to === undefined ? {} : { REPLAY_TO: news.to }),
          },
  },
  dashboard: {
    command: tsEntry('dashboard'),
    env: ({ dashboardPort }) => ({ PORT: String(dashboardPort ?? 0) }),
  },
  'trade-to-ohlc': {
    command: tsEntry('trade-to-ohlc'),
    source: true,
    env: ({ live, replay }) =>
      live === true
        ? { SOURCE: 'kraken' }
        : {
            SOURCE: replay.file === undefined ? 'replay-candles' : 'replay-csv',
            ...(replay.file === undefined ? {} : { REPLAY_FILE: replay.file }),
            REPLAY_FROM: replay.from,
            REPLAY_TO: replay.to,
            REPLAY_SPEED: String(replay.speed),
            // A finite replay's last windows close on idle rather than waiting for a next trade.
            FLUSH_ON_IDLE_MS: '3000',
          },
  },
};

/**
 * Starts the services (all, or `options.services`), the consumers together and the data source
 * last, once the others answer /readyz, so no early data is processed by a service still starting.
 */
export async function startPipeline(options: PipelineOptions): Promise<RunningPipeline> {
  const { stack } = options;
  const common = {
    KAFKA_BROKERS: stack.kafkaBrokers,
    ELASTICSEARCH_URL: stack.elasticsearchUrl,
    DATABASE_URL: stack.databaseUrl,
    MLFLOW_TRACKING_URI: stack.mlflowUri,
    TOPIC_PREFIX: options.prefix,
    LOG_LEVEL: options.logLevel ?? 'info',
    PAIRS: options.pair,
  };
  const wanted = SERVICES.filter((service) => options.services === undefined || options.services.includes(service));
  const ports: Partial<Record<ServiceName, number>> = {};

  const start = async (service: ServiceName): Promise<void> => {
    const definition = DEFINITIONS[service];
    const port = definition.port?.(options) ?? (await freePort());
    ports[service] = port;
    options.group.start({
      name: service,
      command: definition.command,
      env: {
        ...common,
        [definition.portVariable ?? 'OPS_PORT']: String(port),
        ...definition.env(options),
        ...options.env?.[service],
      },
      echo: options.echo ?? false,
    });
    await waitReady(service, port, 90_000);
  };

  await Promise.all(wanted.filter((service) => DEFINITIONS[service].source !== true).map(start));
  for (const service of wanted.filter((name) => DEFINITIONS[name].source === true)) await start(service);
  return { ports };
}
