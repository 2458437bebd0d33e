import { join } from 'node:path';
import { freePort, REPO_ROOT, waitReady, type ProcessGroup } from './processes.js';
import type { StackEnv } from '@crypto-predict/core';

/**
 * The seven services wired together, as the main job, the end-to-end test and the e2e benchmark
 * run them: one child process per service, all sharing a topic/index prefix.
 */
export interface PipelineOptions {
  group: ProcessGroup;
  stack: StackEnv;
  /** Topic and index prefix; empty for the main job's production-like names. */
  prefix: string;
  pair: string;
  /** The span of real 2025 trades to replay (ISO times) and the speed over real time (0 = max). */
  replay: { from: string; to: string; speed: number };
  /** Take live trades from Kraken's WebSocket (with REST backfill) instead of the replay. */
  live?: boolean;
  /** A recorded news file to replay through the sentiment extractor, if any. */
  news?: { file: string; speed: number; from?: string; to?: string };
  /** The registered model to serve: follow an alias (champion by default), or pin one version. */
  model: { name: string; alias?: string; version?: string };
  apiPort: number;
  echo?: boolean;
  logLevel?: string;
}

export const SERVICES = [
  'technical-indicators',
  'price-predictor',
  'model-error-monitor',
  'predictions-api',
  'sentiment-extractor',
  'trade-to-ohlc',
] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface RunningPipeline {
  /** The ops (health/metrics) port of each service; the API's is its HTTP port. */
  ports: Record<ServiceName, number>;
}

function entry(service: ServiceName): string {
  return join(REPO_ROOT, 'services', service, 'src', 'main.ts');
}

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
  const env: Record<ServiceName, Record<string, string>> = {
    'technical-indicators': {},
    'price-predictor': {
      MODEL_NAME: options.model.name,
      MODEL_ALIAS: options.model.alias ?? 'champion',
      ...(options.model.version === undefined ? {} : { MODEL_VERSION: options.model.version }),
      MODEL_POLL_MS: '5000',
      MODEL_CACHE_DIR: join(REPO_ROOT, '.data', 'models'),
    },
    'model-error-monitor': { MODEL_NAME: options.model.name },
    'predictions-api': { PORT: String(options.apiPort) },
    'sentiment-extractor':
      options.news === undefined
        ? { SOURCE: 'none' }
        : {
            SOURCE: 'replay',
            NEWS_FILE: options.news.file,
            REPLAY_SPEED: String(options.news.speed),
            ...(options.news.from === undefined ? {} : { REPLAY_FROM: options.news.from }),
            ...(options.news.to === undefined ? {} : { REPLAY_TO: options.news.to }),
          },
    'trade-to-ohlc':
      options.live === true
        ? { SOURCE: 'kraken' }
        : {
            SOURCE: 'replay-candles',
            REPLAY_FROM: options.replay.from,
            REPLAY_TO: options.replay.to,
            REPLAY_SPEED: String(options.replay.speed),
            // A finite replay's last windows close on idle rather than waiting for a next trade.
            FLUSH_ON_IDLE_MS: '3000',
          },
  };

  const ports = {} as Record<ServiceName, number>;
  for (const service of SERVICES) {
    const port = service === 'predictions-api' ? options.apiPort : await freePort();
    ports[service] = port;
    options.group.start({
      name: service,
      command: [entry(service)],
      env: { ...common, ...(service === 'predictions-api' ? {} : { OPS_PORT: String(port) }), ...env[service] },
      echo: options.echo ?? false,
    });
    await waitReady(service, port, 90_000);
  }
  return { ports };
}
