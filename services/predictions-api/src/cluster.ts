import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AppError, type Logger, type RunnableService } from '@crypto-predict/core';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { ApiConfig } from './config.js';

/** IPC between a worker answering /metrics and the primary that gathers every worker's metrics. */
const METRICS_MESSAGE = 'predictions-api:metrics';

interface MetricsRequest {
  kind: typeof METRICS_MESSAGE;
  id: string;
}

interface MetricsReply extends MetricsRequest {
  text?: string;
  error?: string;
}

function isMetricsMessage(message: unknown): message is MetricsReply {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { kind?: unknown }).kind === METRICS_MESSAGE &&
    typeof (message as { id?: unknown }).id === 'string'
  );
}

const STOP_GRACE_MS = 10_000;
/** A worker that dies this many times within the window means something is wrong: stop, loudly. */
const CRASH_LIMIT = 5;
const CRASH_WINDOW_MS = 60_000;

/**
 * The primary of a node:cluster of WORKERS API processes sharing one port (the primary accepts
 * connections and hands them to the workers in turn). It serves nothing itself: it starts the
 * workers, restarts one that dies, stops them all on SIGINT/SIGTERM, and gathers their metrics
 * for /metrics. Rate limits must be in Redis (config refuses memory), since every worker has its
 * own memory.
 */
export function clusterPrimary(config: ApiConfig, log: Logger): RunnableService {
  const aggregator = new AggregatorRegistry();
  const crashes: number[] = [];
  let started = false;
  let stopping = false;
  let fail: (error: Error) => void = () => undefined;
  const finished = new Promise<void>((_resolve, reject) => {
    fail = reject;
  });

  const answerMetrics = (worker: Worker, message: unknown): void => {
    if (!isMetricsMessage(message)) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ kind: METRICS_MESSAGE, id: message.id, text } satisfies MetricsReply),
      (error: unknown) =>
        worker.send({ kind: METRICS_MESSAGE, id: message.id, error: String(error) } satisfies MetricsReply),
    );
  };

  const fork = (): Promise<void> => {
    const worker = cluster.fork();
    worker.on('message', (message: unknown) => answerMetrics(worker, message));
    worker.on('exit', (code, signal) => {
      // Before start is done, a death fails the start instead (below).
      if (stopping || !started) return;
      const now = Date.now();
      crashes.push(now);
      while (crashes.length > 0 && (crashes[0] ?? now) < now - CRASH_WINDOW_MS) crashes.shift();
      log.error({ pid: worker.process.pid, code, signal }, 'an API worker died; starting another');
      if (crashes.length >= CRASH_LIMIT) {
        fail(new AppError('INTERNAL', `API workers died ${crashes.length} times within a minute`));
        return;
      }
      void fork();
    });
    return new Promise<void>((resolve, reject) => {
      worker.once('listening', () => resolve());
      worker.once('exit', (code) =>
        reject(new AppError('INTERNAL', `an API worker exited (${code}) before listening`)),
      );
    });
  };

  return {
    finished,
    async start() {
      await Promise.all(Array.from({ length: config.WORKERS }, fork));
      started = true;
      log.info({ workers: config.WORKERS, port: config.PORT }, 'predictions-api workers listening');
    },
    async stop() {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) {
                resolve();
                return;
              }
              const timer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_GRACE_MS);
              worker.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              worker.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

/**
 * Joins the cluster from a worker: lets the primary collect this worker's registry, stops this
 * worker when the primary is gone, and returns how /metrics gets the metrics of every worker
 * (asking the primary, which asks them all).
 */
export function joinCluster(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // prom-client answers the primary's requests only once an AggregatorRegistry exists in the process.
  new AggregatorRegistry();
  // A worker whose primary is gone (killed without stopping it) stops too, cleanly.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  const waiting = new Map<string, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  process.on('message', (message: unknown) => {
    if (!isMetricsMessage(message)) return;
    const caller = waiting.get(message.id);
    if (caller === undefined) return;
    waiting.delete(message.id);
    if (message.text !== undefined) caller.resolve(message.text);
    else caller.reject(new AppError('INTERNAL', `the cluster could not gather metrics: ${message.error ?? '?'}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new AppError('TIMEOUT', 'the cluster primary did not send the metrics in time'));
      }, 5_000);
      waiting.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      process.send?.({ kind: METRICS_MESSAGE, id } satisfies MetricsRequest);
    });
}
