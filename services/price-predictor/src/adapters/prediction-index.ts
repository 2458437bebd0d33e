import {
  bulkIndex,
  ensureIndexTemplate,
  indexName,
  type BulkResult,
  type ElasticClient,
  type Prediction,
} from '@crypto-predict/core';

/*
 * What every service knows of the predictions index, in one place: its name, its mapping and how
 * predictions are written to it. The predictor owns the index; the predictions-api reads it and
 * imports this as `@crypto-predict/price-predictor/prediction-index`.
 */

/** The predictions index of a deployment (`predictions`, or `<prefix>-predictions`). */
export function predictionsIndex(prefix: string): string {
  return indexName(prefix, 'predictions');
}

/**
 * The mapping of a Prediction document: keywords for what is filtered on, dates (epoch ms) for
 * times, doubles for prices. `dynamic: false` keeps an unexpected field out of the mapping.
 */
export const PREDICTION_MAPPINGS = {
  dynamic: false,
  properties: {
    v: { type: 'integer' },
    id: { type: 'keyword' },
    pair: { type: 'keyword' },
    timeframe: { type: 'keyword' },
    horizon: { type: 'integer' },
    featureTime: { type: 'date', format: 'epoch_millis' },
    targetTime: { type: 'date', format: 'epoch_millis' },
    createdAt: { type: 'date', format: 'epoch_millis' },
    lastClose: { type: 'double' },
    predictedLogReturn: { type: 'double' },
    predictedPrice: { type: 'double' },
    lower: { type: 'double' },
    upper: { type: 'double' },
    coverage: { type: 'double' },
    model: {
      properties: {
        name: { type: 'keyword' },
        version: { type: 'keyword' },
        servedBy: { type: 'keyword' },
      },
    },
  },
} as const;

/** Installs the template that maps every index matching the predictions index name. */
export async function ensurePredictionsTemplate(client: ElasticClient, prefix: string): Promise<void> {
  const index = predictionsIndex(prefix);
  await ensureIndexTemplate(client, { name: `${index}-template`, pattern: `${index}*`, mappings: PREDICTION_MAPPINGS });
}

/** Writes predictions with their id as `_id`, so a replay overwrites instead of duplicating. */
export async function indexPredictions(
  client: ElasticClient,
  prefix: string,
  predictions: readonly Prediction[],
  options: { refresh?: boolean | 'wait_for' } = {},
): Promise<BulkResult> {
  const index = predictionsIndex(prefix);
  return bulkIndex(
    client,
    predictions.map((prediction) => ({ index, id: prediction.id, document: prediction })),
    options,
  );
}
