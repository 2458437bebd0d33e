import type { SearchHttp } from '../../src/adapters/search-http.js';

/** The predictions mapping as the price-predictor installs it (its index template). */
export const PREDICTIONS_MAPPING = {
  dynamic: false,
  properties: {
    id: { type: 'keyword' },
    pair: { type: 'keyword' },
    timeframe: { type: 'keyword' },
    horizon: { type: 'integer' },
    featureTime: { type: 'date', format: 'epoch_millis' },
    targetTime: { type: 'date', format: 'epoch_millis' },
    createdAt: { type: 'date', format: 'epoch_millis' },
    lastClose: { type: 'double' },
    predictedPrice: { type: 'double' },
    lower: { type: 'double' },
    upper: { type: 'double' },
    model: { properties: { name: { type: 'keyword' }, version: { type: 'keyword' }, servedBy: { type: 'keyword' } } },
  },
};

/** The fields of the model-error-monitor's error records that the API aggregates. */
export const PREDICTION_ERRORS_MAPPING = {
  properties: {
    pair: { type: 'keyword' },
    status: { type: 'keyword' },
    horizon: { type: 'integer' },
    featureTime: { type: 'date', format: 'epoch_millis' },
    targetTime: { type: 'date', format: 'epoch_millis' },
    absError: { type: 'double' },
    squaredError: { type: 'double' },
    naiveAbsError: { type: 'double' },
    directionCorrect: { type: 'boolean' },
    inInterval: { type: 'boolean' },
    model: { properties: { name: { type: 'keyword' }, version: { type: 'keyword' }, servedBy: { type: 'keyword' } } },
  },
};

export async function createIndices(search: SearchHttp, prefix: string): Promise<void> {
  await search.ok('PUT', `/${prefix}-predictions`, { mappings: PREDICTIONS_MAPPING });
  await search.ok('PUT', `/${prefix}-prediction-errors`, { mappings: PREDICTION_ERRORS_MAPPING });
}
