import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AppError } from '@crypto-predict/core';
import { compileFeatureConfig, type FeatureSet } from '../domain/features/feature-config.js';

/** The packaged default feature configuration (scale-free features only). */
export const DEFAULT_FEATURES_CONFIG = fileURLToPath(new URL('../../config/features.default.json', import.meta.url));

/** Reads, parses and validates a feature configuration file; every problem is listed at once. */
export function loadFeatureSet(path: string = DEFAULT_FEATURES_CONFIG): FeatureSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AppError('CONFIG_INVALID', `cannot read the feature config ${path}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AppError(
      'CONFIG_INVALID',
      `feature config ${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return compileFeatureConfig(json, `feature config ${path}`);
}
