export { createPool, DEFAULT_DATABASE_URL, quoteIdentifier, type PoolOptions } from './pool.js';
export { migrate, SQL_DIR, type MigrationResult } from './migrate.js';
export { FeatureStoreWriter, type FeatureStoreWriterOptions, type WriteResult } from './writer.js';
export { latestFeatures, trainingFrame, type TrainingFrameRequest } from './reader.js';
export { storeError } from './errors.js';
export { exportTrainingFrameArrow, type ArrowExportRequest, type ArrowExportResult } from './export-arrow.js';
export {
  DEFAULT_SENTIMENT_SETTINGS,
  mergeSpans,
  SentimentStoreWriter,
  sentimentAsOf,
  sentimentFeatureNames,
  sentimentFeaturesAt,
  sentimentSettings,
  sentimentSettingsProblems,
  sentimentSpanMs,
  type SentimentSettings,
  type SentimentWriteResult,
} from './sentiment.js';
