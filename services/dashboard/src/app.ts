import {
  createKafka,
  createLogger,
  createMetricsRegistry,
  startOpsServer,
  timeframeMs,
  type Kafka,
  type Logger,
  type OpsServer,
} from '@crypto-predict/core';
import type { Registry } from 'prom-client';
import { createDashboardMetrics } from './adapters/dashboard-metrics.js';
import { startDashboardServer, type DashboardServer } from './adapters/http-server.js';
import { KafkaFeed } from './adapters/kafka-feed.js';
import { loadStaticAssets } from './adapters/static-assets.js';
import type { DashboardConfig } from './config.js';
import { MarketHistory } from './domain/market-history.js';

export const SERVICE = 'dashboard';

export interface DashboardDependencies {
  log?: Logger;
  kafka?: Kafka;
  registry?: Registry;
}

export interface DashboardApp {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The page's port (PORT, or the one picked when PORT is 0); null before start. */
  readonly port: number | null;
  readonly opsPort: number | null;
  readonly history: MarketHistory;
}

/** Metric windows the page offers, kept to those within the retained history. */
const WINDOW_CHOICES_MS = [15 * 60_000, 3_600_000, 4 * 3_600_000, 24 * 3_600_000];

/**
 * Builds the dashboard: a bounded in-memory history fed by the five topics it shows (read from
 * their earliest offsets), the page and its JSON on PORT, and the ops server on OPS_PORT.
 */
export function buildDashboard(config: DashboardConfig, deps: DashboardDependencies = {}): DashboardApp {
  const log = deps.log ?? createLogger(SERVICE, config.LOG_LEVEL);
  const kafka = deps.kafka ?? createKafka({ brokers: config.KAFKA_BROKERS, clientId: SERVICE });
  const registry = deps.registry ?? createMetricsRegistry(SERVICE);
  const history = new MarketHistory({
    retentionMs: config.HISTORY_SPAN,
    timeframe: config.TIMEFRAME,
    timeframeMs: timeframeMs(config.TIMEFRAME),
    horizons: config.HORIZONS,
    pairs: config.PAIRS,
    maxPairs: config.MAX_PAIRS,
    maxAlertsPerPair: config.MAX_ALERTS,
    maxSentimentPerCoin: config.MAX_SENTIMENT_ITEMS,
  });
  const metrics = createDashboardMetrics(registry, history);
  const feed = new KafkaFeed({
    kafka,
    prefix: config.TOPIC_PREFIX,
    groupPrefix: config.CONSUMER_GROUP,
    log,
    history,
    onOutcome: (topic, outcome, count) => metrics.messages.inc({ topic, outcome }, count),
  });

  let server: DashboardServer | null = null;
  let ops: OpsServer | null = null;

  return {
    history,
    get port() {
      return server?.port ?? null;
    },
    get opsPort() {
      return ops?.port ?? null;
    },
    async start() {
      const assets = await loadStaticAssets();
      ops = await startOpsServer({
        port: config.OPS_PORT,
        registry,
        readiness: [
          { name: 'kafka', check: () => feed.isRunning() },
          { name: 'http', check: () => server !== null },
        ],
      });
      await feed.start();
      const windowChoices = [...new Set([...WINDOW_CHOICES_MS, config.METRIC_WINDOW])]
        .filter((ms) => ms <= config.HISTORY_SPAN)
        .sort((a, b) => a - b);
      server = await startDashboardServer({
        host: config.HOST,
        port: config.PORT,
        history,
        assets,
        metrics,
        log,
        page: {
          defaultPair: config.PAIRS?.[0] ?? null,
          timeframe: config.TIMEFRAME,
          horizons: config.HORIZONS,
          pollMs: config.POLL_MS,
          historyMs: config.HISTORY_SPAN,
          windowMs: config.METRIC_WINDOW,
          windowChoices,
        },
        snapshot: {
          stepMs: config.METRIC_STEP,
          sentimentBucketMs: config.SENTIMENT_BUCKET,
          maxAlerts: 100,
          maxSentimentItems: 30,
        },
      });
      log.info(
        {
          url: `http://${config.HOST}:${server.port}/`,
          opsPort: ops.port,
          prefix: config.TOPIC_PREFIX,
          pairs: config.PAIRS ?? '*',
          historyMs: config.HISTORY_SPAN,
        },
        'dashboard started',
      );
    },
    async stop() {
      if (server !== null) await server.close();
      server = null;
      await feed.stop();
      if (ops !== null) await ops.close();
      ops = null;
      log.info('dashboard stopped');
    },
  };
}
