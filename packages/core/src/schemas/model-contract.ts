import { z } from 'zod';
import { Pair, Timeframe } from './common.js';

const Span = z.object({ from: z.string().min(1), to: z.string().min(1) });
const PerHorizon = <T extends z.ZodType>(value: T) => z.record(z.string().regex(/^[0-9]+$/), value);

const HorizonMetrics = z.object({
  mae: z.number(),
  rmse: z.number(),
  mape: z.number(),
  maeNaive: z.number(),
  maeRatioVsNaive: z.number(),
  directionalAccuracy: z.number(),
  coverage: z.number(),
  meanWidthPct: z.number(),
});

/**
 * What a trained model promises: the ordered features it reads, what it outputs, how to turn its
 * output into an interval, and where it came from. Written by the trainer beside model.onnx;
 * the predictor refuses a model whose contract does not match the features it has.
 */
export const ModelContract = z.object({
  contractVersion: z.literal(1),
  featureSchemaVersion: z.number().int().positive(),
  modelName: z.string().min(1),
  modelKind: z.string().min(1),
  pair: Pair,
  timeframe: Timeframe,
  horizons: z.array(z.number().int().positive()).min(1),
  target: z.literal('log_return'),
  features: z.array(z.string().min(1)).min(1),
  onnx: z.object({
    file: z.string().min(1),
    input: z.string().min(1),
    inputType: z.enum(['float32', 'float64']),
    output: z.string().min(1),
  }),
  intervals: z.object({
    method: z.literal('conformal-vol-normalised'),
    coverage: z.number().gt(0).lt(1),
    volatilityFeature: z.string().min(1),
    /** Per horizon: interval half-width in units of the volatility feature, in log-return space. */
    scale: PerHorizon(z.number().nonnegative()),
  }),
  trainingSpan: Span,
  splits: z.object({ train: Span, validation: Span, test: Span, purgeMinutes: z.number().nonnegative() }),
  dataHash: z.string().min(1),
  metrics: z.object({ test: PerHorizon(HorizonMetrics) }),
  /** Training distribution of each feature (decile edges and the fraction in each bin), for drift checks. */
  reference: z.record(z.string(), z.object({ edges: z.array(z.number()), fractions: z.array(z.number()) })),
  createdAt: z.string().min(1),
});
export type ModelContract = z.infer<typeof ModelContract>;
