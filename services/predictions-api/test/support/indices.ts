import { ensureIndexTemplate, type ElasticClient } from '@crypto-predict/core';
import { ERROR_INDEX_MAPPINGS, errorIndex } from '@crypto-predict/model-error-monitor/error-index';
import { ensurePredictionsTemplate } from '@crypto-predict/price-predictor/prediction-index';

/**
 * Maps the indices the API reads exactly as their owners do: the price-predictor's predictions
 * template and the model-error-monitor's error mapping (both imported from those services).
 */
export async function installIndexMappings(client: ElasticClient, prefix: string): Promise<void> {
  await ensurePredictionsTemplate(client, prefix);
  const errors = errorIndex(prefix);
  await ensureIndexTemplate(client, { name: `${errors}-template`, pattern: errors, mappings: ERROR_INDEX_MAPPINGS });
}
