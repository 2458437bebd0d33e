import type { FeatureRow, ModelContract } from '@crypto-predict/core';

/** What the predictor serves: a model must be for this pair, timeframe and feature schema. */
export interface ServingExpectation {
  pair: string;
  timeframe: string;
  featureSchemaVersion: number;
  /** Feature names the feature rows carry, once a row has been seen. */
  knownFeatures: ReadonlySet<string> | null;
}

/** The features a contract needs in a row: its inputs in order, then its volatility feature. */
export function neededFeatures(contract: ModelContract): string[] {
  const needed = [...contract.features];
  if (!needed.includes(contract.intervals.volatilityFeature)) needed.push(contract.intervals.volatilityFeature);
  return needed;
}

/**
 * Every reason a contract cannot be served under an expectation; empty when it can. Checked when a
 * model is loaded, before it may serve a single row.
 */
export function contractProblems(contract: ModelContract, expected: ServingExpectation): string[] {
  const problems: string[] = [];
  if (contract.pair !== expected.pair) problems.push(`model is for pair ${contract.pair}, not ${expected.pair}`);
  if (contract.timeframe !== expected.timeframe) {
    problems.push(`model is for timeframe ${contract.timeframe}, not ${expected.timeframe}`);
  }
  if (contract.featureSchemaVersion !== expected.featureSchemaVersion) {
    problems.push(
      `model needs feature schema version ${contract.featureSchemaVersion}, the features are version ${expected.featureSchemaVersion}`,
    );
  }
  if (new Set(contract.features).size !== contract.features.length) problems.push('contract lists a feature twice');
  if (new Set(contract.horizons).size !== contract.horizons.length) problems.push('contract lists a horizon twice');
  const unscaled = contract.horizons.filter((h) => contract.intervals.scale[String(h)] === undefined);
  if (unscaled.length > 0) problems.push(`contract has no interval scale for horizon(s) ${unscaled.join(', ')}`);
  if (expected.knownFeatures !== null) {
    const known = expected.knownFeatures;
    const missing = neededFeatures(contract).filter((name) => !known.has(name));
    if (missing.length > 0) problems.push(`feature rows lack feature(s) the model needs: ${missing.join(', ')}`);
  }
  return problems;
}

/**
 * Every reason a row cannot be fed to a contract's model (schema version, missing feature names);
 * empty when it can. A feature present but null (warm-up) is not a mismatch: see `featureVector`.
 */
export function rowMismatch(contract: ModelContract, row: FeatureRow): string[] {
  const problems: string[] = [];
  if (row.featureSchemaVersion !== contract.featureSchemaVersion) {
    problems.push(
      `row has feature schema version ${row.featureSchemaVersion}, the model needs ${contract.featureSchemaVersion}`,
    );
  }
  const missing = neededFeatures(contract).filter((name) => !(name in row.features));
  if (missing.length > 0) problems.push(`row lacks feature(s) the model needs: ${missing.join(', ')}`);
  return problems;
}

/**
 * The model's input for a row, in contract order, with the row's volatility; null while any
 * needed feature is still warming up (null).
 */
export function featureVector(
  contract: ModelContract,
  row: FeatureRow,
): { inputs: number[]; volatility: number } | null {
  const inputs: number[] = [];
  for (const name of contract.features) {
    const value = row.features[name];
    if (value === null || value === undefined) return null;
    inputs.push(value);
  }
  const volatility = row.features[contract.intervals.volatilityFeature];
  if (volatility === null || volatility === undefined) return null;
  return { inputs, volatility };
}
