import { createHash } from 'node:crypto';
import { AppError, FEATURE_SCHEMA_VERSION, Timeframe } from '@crypto-predict/core';
import { z } from 'zod';
import { INDICATOR_CATALOG, type IndicatorSpec, type Scale } from '../indicators/catalog.js';
import { canonicalJson as canonical } from '../indicators/json.js';

/**
 * How a feature turns an indicator line into a model input. Price levels and price differences
 * become scale-free only against the close: `divide_by_close` for differences (MACD histogram,
 * ATR), `close_relative` (close / x − 1) for levels (EMA, VWAP, SAR).
 */
export const TRANSFORMS = ['none', 'divide_by_close', 'close_relative'] as const;
export type Transform = (typeof TRANSFORMS)[number];

const ParamValue = z.union([z.number().finite(), z.string().min(1)]);

const FeatureEntry = z.strictObject({
  /** Output name; `{param}` placeholders are filled from the parameters (required when a parameter lists several values). */
  name: z
    .string()
    .regex(
      /^[a-z][a-z0-9_]*(\{[A-Za-z0-9]+\}[a-z0-9_]*)*$/,
      'a feature name is snake_case, with optional {param} placeholders',
    ),
  indicator: z.string().min(1),
  /** A list of values makes one feature per value (all combinations, for several lists). */
  params: z.record(z.string(), z.union([ParamValue, z.array(ParamValue).min(1)])).default({}),
  /** Which output line of a multi-line indicator (e.g. histogram of macd); single-line indicators have `value`. */
  line: z.string().min(1).optional(),
  transform: z.enum(TRANSFORMS).default('none'),
  /** Lets a price- or volume-scaled value through; off by default because models span price regimes. */
  allowScaleDependent: z.boolean().default(false),
  /** Restricts the feature to some of the configured timeframes. */
  timeframes: z.array(Timeframe).min(1).optional(),
});

export const FeatureConfigFile = z.strictObject({
  version: z.literal(1),
  description: z.string().optional(),
  /** Candle timeframes to compute features for; candles of other timeframes are ignored. */
  timeframes: z.array(Timeframe).min(1),
  gapFill: z
    .strictObject({
      /** A hole of up to this many bars is filled with empty bars (the previous close, no volume), as trade-to-ohlc does live. */
      maxBars: z.number().int().min(0).max(100_000).default(1440),
    })
    .default({ maxBars: 1440 }),
  features: z.array(FeatureEntry).min(1),
});
export type FeatureConfigFile = z.input<typeof FeatureConfigFile>;

/** One output feature, resolved: its indicator instance, line and transform. */
export interface FeatureDefinition {
  readonly name: string;
  readonly indicator: string;
  readonly params: Readonly<Record<string, number | string>>;
  readonly line: string;
  readonly transform: Transform;
  readonly timeframes: readonly string[];
  /** Identity of the indicator instance; features that share one (bb_pctb_20, bb_width_20) share it. */
  readonly instanceKey: string;
}

/** A validated, expanded feature configuration: what FeatureEngine computes. */
export interface FeatureSet {
  readonly timeframes: readonly string[];
  readonly gapFillMaxBars: number;
  readonly features: readonly FeatureDefinition[];
  /** Changes whenever anything that shapes the rows or the engine state changes. */
  readonly hash: string;
  readonly schemaVersion: number;
}

/**
 * Parses and validates a feature configuration (JSON already parsed), listing every problem at
 * once in a CONFIG_INVALID error: schema errors, unknown indicators, parameters and lines,
 * transforms on lines that have no price scale, scale-dependent outputs, duplicate names.
 */
export function compileFeatureConfig(input: unknown, origin = 'feature config'): FeatureSet {
  const parsed = FeatureConfigFile.safeParse(input);
  if (!parsed.success) {
    fail(
      origin,
      parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`),
    );
  }
  const config = parsed.data;
  const problems: string[] = [];
  const features: FeatureDefinition[] = [];
  const configured = new Set(config.timeframes);

  config.features.forEach((entry, index) => {
    const where = `features[${index}] (${entry.name})`;
    const spec = INDICATOR_CATALOG.get(entry.indicator);
    if (spec === undefined) {
      problems.push(
        `${where}: unknown indicator "${entry.indicator}"; known: ${[...INDICATOR_CATALOG.keys()].join(', ')}`,
      );
      return;
    }
    for (const timeframe of entry.timeframes ?? []) {
      if (!configured.has(timeframe))
        problems.push(`${where}: timeframe ${timeframe} is not among the configured timeframes`);
    }
    const line = entry.line ?? 'value';
    const scale = spec.lines[line];
    if (scale === undefined) {
      problems.push(`${where}: ${spec.kind} has no line "${line}"; its lines: ${Object.keys(spec.lines).join(', ')}`);
      return;
    }
    problems.push(...scaleProblems(where, spec, line, scale, entry.transform, entry.allowScaleDependent));
    for (const combination of expand(entry.params)) {
      const name = entry.name.replace(/\{([A-Za-z0-9]+)\}/g, (_, key: string) =>
        String(combination[key] ?? `{${key}}`),
      );
      const placeholders = [...name.matchAll(/\{([A-Za-z0-9]+)\}/g)].map((match) => match[1]);
      if (placeholders.length > 0) {
        problems.push(`${where}: name placeholder(s) ${placeholders.join(', ')} are not parameters`);
        continue;
      }
      const params = spec.params.safeParse(combination);
      if (!params.success) {
        for (const issue of params.error.issues) {
          problems.push(
            `${where} → ${name}: params${issue.path.length > 0 ? `.${issue.path.map(String).join('.')}` : ''}: ${issue.message}`,
          );
        }
        continue;
      }
      try {
        spec.create(params.data);
      } catch (error) {
        problems.push(`${where} → ${name}: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      features.push({
        name,
        indicator: spec.kind,
        params: params.data,
        line,
        transform: entry.transform,
        timeframes: entry.timeframes ?? config.timeframes,
        instanceKey: `${spec.kind}${canonical(params.data)}`,
      });
    }
  });

  const seen = new Set<string>();
  for (const feature of features) {
    if (seen.has(feature.name))
      problems.push(`feature name ${feature.name} is defined more than once (add a {param} placeholder to the name?)`);
    seen.add(feature.name);
  }
  if (problems.length > 0) fail(origin, problems);

  const shape = {
    schemaVersion: FEATURE_SCHEMA_VERSION,
    timeframes: config.timeframes,
    gapFill: config.gapFill.maxBars,
    features,
  };
  return {
    timeframes: config.timeframes,
    gapFillMaxBars: config.gapFill.maxBars,
    features,
    hash: createHash('sha256').update(canonical(shape)).digest('hex').slice(0, 16),
    schemaVersion: FEATURE_SCHEMA_VERSION,
  };
}

function scaleProblems(
  where: string,
  spec: IndicatorSpec,
  line: string,
  scale: Scale,
  transform: Transform,
  allow: boolean,
): string[] {
  if (transform !== 'none' && scale !== 'price') {
    return [`${where}: transform ${transform} only applies to price-scaled lines; ${spec.kind}.${line} is ${scale}`];
  }
  const result: Scale = transform === 'none' ? scale : 'free';
  if (result !== 'free' && !allow) {
    const hint =
      scale === 'price'
        ? 'use transform "divide_by_close" (differences) or "close_relative" (levels)'
        : 'volumes are not scale-free';
    return [
      `${where}: ${spec.kind}.${line} is in ${scale} units, which differ across price regimes; ${hint}, or set allowScaleDependent`,
    ];
  }
  return [];
}

/** All combinations of list-valued parameters. */
function expand(params: Record<string, number | string | (number | string)[]>): Record<string, number | string>[] {
  let combinations: Record<string, number | string>[] = [{}];
  for (const [key, value] of Object.entries(params)) {
    const values = Array.isArray(value) ? value : [value];
    combinations = combinations.flatMap((combination) => values.map((item) => ({ ...combination, [key]: item })));
  }
  return combinations;
}

function fail(origin: string, problems: string[]): never {
  throw new AppError('CONFIG_INVALID', `invalid ${origin}:\n  - ${problems.join('\n  - ')}`, { details: { problems } });
}
