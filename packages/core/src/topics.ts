import type { z } from 'zod';
import {
  Alert,
  Candle,
  DeadLetter,
  FeatureRow,
  NewsItem,
  Prediction,
  PredictionError,
  RetrainRequest,
  Sentiment,
  Trade,
} from './schemas/index.js';

/**
 * Every topic of the system: its schema and how its key is derived. Keys keep one pair's (or one
 * coin's) events in one partition, so they stay ordered.
 */
export interface TopicSpec<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly schema: S;
  readonly key: (message: z.output<S>) => string;
  readonly partitions: number;
}

function spec<S extends z.ZodType>(
  name: string,
  schema: S,
  key: (message: z.output<S>) => string,
  partitions = 3,
): TopicSpec<S> {
  return { name, schema, key, partitions };
}

export const TOPICS = {
  trades: spec('trades', Trade, (m) => m.pair),
  candles: spec('candles', Candle, (m) => m.pair),
  features: spec('features', FeatureRow, (m) => m.pair),
  news: spec('news', NewsItem, (m) => m.source),
  sentiment: spec('sentiment', Sentiment, (m) => m.coin),
  predictions: spec('predictions', Prediction, (m) => m.pair),
  predictionErrors: spec('prediction-errors', PredictionError, (m) => m.pair),
  alerts: spec('alerts', Alert, (m) => m.pair ?? 'global'),
  retrainRequests: spec('retrain-requests', RetrainRequest, (m) => m.pair),
} as const;

export type TopicKey = keyof typeof TOPICS;

/** The dead-letter topic of a topic: where its unusable messages go, with the reason. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

export const DEAD_LETTER_SCHEMA = DeadLetter;

/** The full topic name under a deployment prefix (empty in production, unique per test). */
export function topicName(prefix: string, topic: string): string {
  return prefix === '' ? topic : `${prefix}.${topic}`;
}

/**
 * The consumer group id a group name joins as under a deployment prefix, named as topics are
 * (`<prefix>.<group>`, the name alone without a prefix): deployments that share a cluster under
 * different prefixes then never share a group, whose members would otherwise rebalance together.
 */
export function groupName(prefix: string, group: string): string {
  return topicName(prefix, group);
}
