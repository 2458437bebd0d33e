import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FEATURE_SCHEMA_VERSION, ModelContract, type FeatureRow } from '@crypto-predict/core';
import { testStack } from '@crypto-predict/core/testing';
import { twoSidedZ } from '../domain/normal-quantile.js';
import type { PredictSettings } from '../domain/serving-ladder.js';

/*
 * Fixtures of the predictor's tests: tiny linear ONNX models, their contracts and the predictions
 * they must make. Exported as `@crypto-predict/price-predictor/test-fixtures` for tests of other
 * services that run the predictor (the predictions-api's pipeline test).
 */

/** The checked-in fixture folder (see test/fixtures/make-fixtures.py). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

export type FixtureModel = 'linear-v1-f32' | 'linear-v1-f64' | 'linear-v2-f64';

export function fixtureOnnx(model: FixtureModel): Buffer {
  return readFileSync(`${FIXTURES_DIR}${model}.onnx`);
}

interface Weights {
  features: string[];
  horizons: number[];
  v1: { W: number[][]; b: number[] };
  v2: { W: number[][]; b: number[] };
}

export const WEIGHTS = JSON.parse(readFileSync(`${FIXTURES_DIR}linear-weights.json`, 'utf8')) as Weights;

/**
 * The expected log returns of a fixture model for one input row, computed from the weights file:
 * x·W + b, in double precision (float32 models are compared with a tolerance).
 */
export function expectedLogReturns(weights: 'v1' | 'v2', inputs: readonly number[]): number[] {
  const { W, b } = WEIGHTS[weights];
  return b.map((bias, h) => inputs.reduce((sum, x, f) => sum + x * (W[f]?.[h] ?? Number.NaN), 0) + bias);
}

export const INTERVAL_SCALE: Record<string, number> = { '1': 1.5, '5': 3.25, '15': 5.5, '60': 11 };

export interface ExpectedPrediction {
  horizon: number;
  predictedLogReturn: number;
  predictedPrice: number;
  lower: number;
  upper: number;
}

/**
 * What a fixture model served with `fixtureContract()` must predict for a row, per horizon in the
 * weights' order: p = x·W + b, price close·exp(p), interval close·exp(p ∓ scale[h]·volatility_30).
 */
export function expectedPredictions(row: FeatureRow, weights: 'v1' | 'v2'): ExpectedPrediction[] {
  const p = expectedLogReturns(weights, inputsOf(row));
  const v = row.features.volatility_30 ?? Number.NaN;
  return WEIGHTS.horizons.map((horizon, i) => {
    const logReturn = p[i] ?? Number.NaN;
    const scale = INTERVAL_SCALE[String(horizon)] ?? Number.NaN;
    return {
      horizon,
      predictedLogReturn: logReturn,
      predictedPrice: row.close * Math.exp(logReturn),
      lower: row.close * Math.exp(logReturn - scale * v),
      upper: row.close * Math.exp(logReturn + scale * v),
    };
  });
}

/** A contract for a fixture model; override what a test needs to differ. */
export function fixtureContract(overrides: Partial<ModelContract> = {}): ModelContract {
  return ModelContract.parse({
    contractVersion: 1,
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    modelName: 'price-BTC-USDT-1m',
    modelKind: 'linear-fixture',
    pair: 'BTC/USDT',
    timeframe: '1m',
    horizons: WEIGHTS.horizons,
    target: 'log_return',
    features: WEIGHTS.features,
    onnx: { file: 'model.onnx', input: 'features', inputType: 'float64', output: 'log_returns' },
    intervals: {
      method: 'conformal-vol-normalised',
      coverage: 0.9,
      volatilityFeature: 'volatility_30',
      scale: INTERVAL_SCALE,
    },
    trainingSpan: { from: '2024-01-01T00:00:00Z', to: '2024-12-31T23:59:00Z' },
    splits: {
      train: { from: '2024-01-01T00:00:00Z', to: '2024-09-12T00:00:00Z' },
      validation: { from: '2024-09-12T01:00:00Z', to: '2024-11-06T00:00:00Z' },
      test: { from: '2024-11-06T01:00:00Z', to: '2024-12-31T23:59:00Z' },
      purgeMinutes: 60,
    },
    dataHash: 'fixture',
    metrics: { test: {} },
    reference: {},
    createdAt: '2025-01-01T00:00:00Z',
    ...overrides,
  });
}

const T0 = Date.UTC(2025, 0, 1, 0, 1);

/** A feature row at minute `i` after 2025-01-01T00:01Z with deterministic, plausible values. */
export function featureRow(i: number, overrides: Partial<FeatureRow> = {}): FeatureRow {
  return {
    v: 1,
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    pair: 'BTC/USDT',
    timeframe: '1m',
    time: T0 + i * 60_000,
    close: 93_000 + 10 * Math.sin(i),
    features: {
      log_return_1: 0.0004 * Math.cos(i),
      rsi_14: 50 + 10 * Math.sin(i / 3),
      volatility_30: 0.0004 + 0.0001 * Math.abs(Math.sin(i / 5)),
      macd_hist: null,
    },
    ...overrides,
  };
}

/** The predictor's environment for a run against the local stack, its topics, index and group under `prefix`. */
export function predictorTestEnv(options: {
  prefix: string;
  modelName: string;
  cacheDir: string;
  pollMs: number;
}): Record<string, string> {
  const stack = testStack();
  return {
    KAFKA_BROKERS: stack.kafkaBrokers,
    ELASTICSEARCH_URL: stack.elasticsearchUrl,
    MLFLOW_TRACKING_URI: stack.mlflowUri,
    TOPIC_PREFIX: options.prefix,
    OPS_PORT: '0',
    MODEL_NAME: options.modelName,
    MODEL_POLL_MS: String(options.pollMs),
    MODEL_CACHE_DIR: options.cacheDir,
    CONSUMER_GROUP: `${options.prefix}-predictor`,
  };
}

/** What the predictor serves in tests: the fixture horizons on 1m candles, a 90% naive interval. */
export const FIXTURE_SETTINGS: PredictSettings = {
  horizons: [1, 5, 15, 60],
  naiveCoverage: 0.9,
  naiveZ: twoSidedZ(0.9),
  naiveVolatilityFeature: 'volatility_30',
  candleMinutes: 1,
};

export function inputsOf(row: FeatureRow): number[] {
  return WEIGHTS.features.map((name) => {
    const value = row.features[name];
    if (value === null || value === undefined) throw new Error(`row lacks ${name}`);
    return value;
  });
}

/**
 * Whether two log-return vectors agree to double precision: onnxruntime may sum x·W in another
 * order (or fuse multiply-adds), which moves the last bit.
 */
export function sameLogReturns(actual: readonly number[], expected: readonly number[]): boolean {
  return (
    actual.length === expected.length &&
    actual.every((value, i) => Math.abs(value - (expected[i] ?? Number.NaN)) <= 1e-15)
  );
}
