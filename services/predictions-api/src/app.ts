import {
  createElasticClient,
  createKafka,
  createLogger,
  createMetricsRegistry,
  describeError,
  type ElasticClient,
  type Logger,
  type Prediction,
  type ReadinessCheck,
} from '@crypto-predict/core';
import type { Registry } from 'prom-client';
import { ApiKeyStore, type KeyLookup } from './adapters/api-key-store.js';
import { Authenticator } from './adapters/authenticator.js';
import { createApiServer, type ApiServer } from './adapters/http/server.js';
import { joinCluster } from './cluster.js';
import { KafkaPredictionFeed, type PredictionFeed } from './adapters/prediction-feed.js';
import { ElasticPredictionStore, type PredictionStore } from './adapters/prediction-store.js';
import { StreamHub } from './adapters/stream-hub.js';
import { MemoryRateLimiter, type RateLimiter } from './adapters/rate-limiter.js';
import { RedisRateLimiter } from './adapters/redis-rate-limiter.js';
import { rateLimitKeyPrefix, type ApiConfig } from './config.js';
import { LatestCache } from './domain/latest-cache.js';
import { createApiMetrics } from './metrics.js';

export const SERVICE = 'predictions-api';

export interface ApiDependencies {
  log?: Logger;
  registry?: Registry;
  clock?: () => number;
  /** Where keys are checked; by default the api_keys table at DATABASE_URL / DATABASE_SCHEMA. */
  keys?: KeyLookup;
  /** Where history, warm-up and errors are read; by default Elasticsearch under TOPIC_PREFIX. */
  store?: PredictionStore;
  /** Live predictions; by default the Kafka topic when FEED_ENABLED, null for none. */
  feed?: PredictionFeed | null;
  /** This process is a node:cluster worker: /metrics answers for the whole cluster. */
  clusterWorker?: boolean;
}

export interface ApiApp {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The port listened on (after start): PORT, or the one the OS chose for PORT=0. */
  readonly port: number;
  readonly url: string;
  readonly cache: LatestCache;
}

const WARM_RETRY_MS = 5_000;

/**
 * Builds the API from config and dependencies: the latest cache (warmed from the store, fed by the
 * predictions topic), key checks with a TTL cache, per-key token buckets (in memory or shared in
 * Redis), and the HTTP server.
 */
export function buildApi(config: ApiConfig, deps: ApiDependencies = {}): ApiApp {
  const log = deps.log ?? createLogger(SERVICE, config.LOG_LEVEL);
  const registry = deps.registry ?? createMetricsRegistry(SERVICE);
  const clock = deps.clock ?? Date.now;
  let keys: KeyLookup;
  let ownedKeys: ApiKeyStore | null = null;
  if (deps.keys === undefined) {
    ownedKeys = ApiKeyStore.connect(config.DATABASE_URL, config.DATABASE_SCHEMA);
    keys = ownedKeys;
  } else keys = deps.keys;
  let store: PredictionStore;
  let ownedElastic: ElasticClient | null = null;
  if (deps.store === undefined) {
    ownedElastic = createElasticClient(config.ELASTICSEARCH_URL);
    store = new ElasticPredictionStore(ownedElastic, config.TOPIC_PREFIX);
  } else store = deps.store;
  const feed =
    deps.feed !== undefined
      ? deps.feed
      : config.FEED_ENABLED
        ? new KafkaPredictionFeed(
            createKafka({ brokers: config.KAFKA_BROKERS, clientId: SERVICE }),
            config.TOPIC_PREFIX,
            log,
          )
        : null;

  const metrics = createApiMetrics(registry);
  const limiter: RateLimiter =
    config.RATE_LIMIT_STORE === 'redis'
      ? new RedisRateLimiter({
          url: config.REDIS_URL,
          keyPrefix: rateLimitKeyPrefix(config),
          perSecond: config.RATE_LIMIT_PER_S,
          burst: config.RATE_LIMIT_BURST,
          timeoutMs: config.RATE_LIMIT_REDIS_TIMEOUT_MS,
          log,
          metrics: { fallbacks: metrics.rateLimitFallbacks, up: metrics.rateLimitStoreUp },
          clock,
          // Each worker leases for itself: the share of what is left shrinks with their number.
          lease: { instances: Math.max(2, config.WORKERS) },
        })
      : new MemoryRateLimiter(config.RATE_LIMIT_PER_S, config.RATE_LIMIT_BURST, clock);
  metrics.rateLimitStoreUp.set(1);
  const cache = new LatestCache();
  const hub = new StreamHub();
  const readinessChecks: ReadinessCheck[] = [{ name: 'elasticsearch', check: () => store.ping() }];
  if (ownedKeys !== null) readinessChecks.push({ name: 'postgres', check: () => ownedKeys.ping() });
  if (feed !== null) readinessChecks.push({ name: 'kafka', check: () => feed.running() });

  const server: ApiServer = createApiServer({
    cache,
    store,
    auth: new Authenticator(keys, config.KEY_CACHE_TTL_MS, clock),
    limiter,
    hub,
    metrics,
    metricsText: deps.clusterWorker === true ? joinCluster(registry) : () => registry.metrics(),
    metricsType: registry.contentType,
    log,
    clock,
    readiness: readinessChecks,
    fastLane: config.FAST_LANE,
  });

  const receive = (prediction: Prediction): void => {
    metrics.feedMessages.inc();
    // Only what is newer than the cache is pushed: replays and redeliveries stay quiet.
    if (cache.offer(prediction)) hub.publish(prediction);
  };

  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const later = (ms: number, run: () => Promise<void>): void => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void run();
    }, ms);
    timer.unref();
    timers.add(timer);
  };
  const warm = async (): Promise<void> => {
    try {
      const latest = await store.latest(clock() - config.WARM_LOOKBACK_MS);
      for (const prediction of latest) cache.offer(prediction);
      log.info({ predictions: latest.length }, 'latest cache warmed from the store');
    } catch (error) {
      log.warn({ err: describeError(error), retryInMs: WARM_RETRY_MS }, 'could not warm the latest cache; retrying');
      later(WARM_RETRY_MS, warm);
    }
  };

  let port = config.PORT;
  return {
    cache,
    get port() {
      return port;
    },
    get url() {
      return `http://${config.HOST}:${port}`;
    },
    async start() {
      await ownedKeys?.ensureSchema();
      await limiter.start();
      // Subscribe first, then warm: the cache keeps the newer of the two, so nothing falls between.
      await feed?.start(receive);
      await warm();
      if (feed !== null) later(config.FEED_SETTLE_MS, warm);
      port = await server.listen(config.PORT, config.HOST);
      log.info(
        {
          url: `http://${config.HOST}:${port}`,
          feed: feed !== null,
          rateLimitStore: limiter.store,
          fastLane: config.FAST_LANE,
        },
        'predictions-api listening',
      );
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      hub.close();
      await server.close();
      await feed?.stop();
      await limiter.stop();
      await ownedKeys?.close();
      await ownedElastic?.close();
    },
  };
}
