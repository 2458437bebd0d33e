import { z } from 'zod';
import {
  Alert,
  Candle,
  DeadLetter,
  FeatureRow,
  ModelContract,
  NewsItem,
  Prediction,
  PredictionError,
  RetrainRequest,
  Sentiment,
  Trade,
} from './schemas/index.js';

/** Every shared document, by the file name of its JSON Schema and golden samples. */
export const SCHEMAS = {
  trade: Trade,
  candle: Candle,
  'feature-row': FeatureRow,
  'news-item': NewsItem,
  sentiment: Sentiment,
  prediction: Prediction,
  'prediction-error': PredictionError,
  alert: Alert,
  'retrain-request': RetrainRequest,
  'dead-letter': DeadLetter,
  'model-contract': ModelContract,
} as const satisfies Record<string, z.ZodType>;

export type SchemaName = keyof typeof SCHEMAS;

/** The JSON Schema (draft 2020-12) the Python side validates against. */
export function jsonSchemaOf(name: SchemaName): Record<string, unknown> {
  const schema = z.toJSONSchema(SCHEMAS[name], { target: 'draft-2020-12', io: 'input' });
  return { $id: `https://crypto-predict.local/schemas/${name}.schema.json`, title: name, ...schema };
}
