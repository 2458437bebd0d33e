import { join } from 'node:path';
import pg from 'pg';
import { createElasticClient, createKafka, deleteIndices, deleteTopics, topicName, TOPICS } from '@crypto-predict/core';
import { uniquePrefix } from '@crypto-predict/core/testing';
import { backfillFeatures, createApiKey, trainModel } from './jobs.js';
import { startPipeline, type PipelineOptions, type RunningPipeline, type ServiceName } from './pipeline.js';
import { freePort, ProcessGroup, REPO_ROOT } from './processes.js';
import { stackEnv, withDatabase, type StackEnv } from '@crypto-predict/core';

export interface SandboxOptions {
  label: string;
  pair: string;
  /** Real candles whose features train the model (ISO dates, `to` exclusive); replay starts at `to`. */
  train: { from: string; to: string };
  replay: PipelineOptions['replay'];
  news?: PipelineOptions['news'];
  /** The services to start (default: all seven). */
  services?: readonly ServiceName[];
  /** Extra environment per service (e.g. small monitor thresholds). */
  env?: PipelineOptions['env'];
  /** The trainer service's settings (its model name, database and prefix are the sandbox's). */
  trainer?: PipelineOptions['trainer'];
  echo?: boolean;
}

export interface Sandbox {
  id: string;
  stack: StackEnv;
  group: ProcessGroup;
  trained: Record<string, unknown>;
  modelName: string;
  apiPort: number;
  /** An API key for local use; empty when the predictions API is not among the services. */
  apiKey: string;
  pipeline: RunningPipeline;
  /** Stops the services and removes everything the sandbox made on the shared stack. */
  cleanup(): Promise<void>;
}

/**
 * The whole system on the shared local stack, isolated by a unique prefix: its own PostgreSQL
 * database, topics, indices and registered model. Features are backfilled for the training span
 * (leaving the engine state for the replay that follows), a model is trained and pinned, an API
 * key is made, and the seven services (or the ones asked for) are started on the replay. The
 * trainer service retrains into the sandbox's model from the sandbox's feature store.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const id = uniquePrefix(options.label);
  const database = id.replace(/-/g, '_');
  const modelName = `price-${id}`;
  const base = stackEnv();
  const stack: StackEnv = { ...base, databaseUrl: withDatabase(base.databaseUrl, database) };
  const group = new ProcessGroup(join(REPO_ROOT, '.data', 'test-logs', id));
  const echo = options.echo ?? false;

  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: base.databaseUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  const cleanup = async (): Promise<void> => {
    await group.stopAll();
    const kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: `${id}-cleanup` });
    const topics = Object.values(TOPICS).flatMap((topic) => [
      topicName(id, topic.name),
      `${topicName(id, topic.name)}.dlq`,
    ]);
    // trade-to-ohlc's aggregator state (its default consumer group names it).
    topics.push(topicName(id, 'trade-to-ohlc-state'));
    await deleteTopics(kafka, topics).catch(() => undefined);
    const elastic = createElasticClient(stack.elasticsearchUrl);
    await deleteIndices(elastic, `${id}-*`).catch(() => undefined);
    await elastic.close();
    await fetch(`${stack.mlflowUri}/api/2.0/mlflow/registered-models/delete`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: modelName }),
    }).catch(() => undefined);
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
  };

  try {
    await admin(`CREATE DATABASE ${database}`);
    const span = { pair: options.pair, timeframe: '1m', ...options.train };
    await backfillFeatures(group, stack, span, { saveState: true, echo });
    const trained = await trainModel(group, stack, { ...span, modelName }, { echo });
    const services = options.services;
    const apiKey =
      services === undefined || services.includes('predictions-api') ? await createApiKey(group, stack, id) : '';
    const apiPort = await freePort();
    const pipeline = await startPipeline({
      group,
      stack,
      prefix: id,
      pair: options.pair,
      replay: options.replay,
      ...(options.news === undefined ? {} : { news: options.news }),
      model: { name: modelName, version: String(trained.version) },
      apiPort,
      ...(services === undefined ? {} : { services }),
      ...(options.env === undefined ? {} : { env: options.env }),
      trainer: { lookback: '30d', interval: 'off', ...options.trainer },
      echo,
    });
    return { id, stack, group, trained, modelName, apiPort, apiKey, pipeline, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
