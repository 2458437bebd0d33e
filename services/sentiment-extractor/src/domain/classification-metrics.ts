import { SENTIMENT_LABELS, type SentimentLabel } from './sentiment.js';

export interface ClassificationReport {
  n: number;
  accuracy: number;
  macroF1: number;
  perLabel: Record<SentimentLabel, { precision: number; recall: number; f1: number; support: number }>;
  /** confusion[truth][predicted] */
  confusion: Record<SentimentLabel, Record<SentimentLabel, number>>;
}

/** Accuracy, per-label precision/recall/F1 and their unweighted (macro) mean over the three labels. */
export function classificationReport(
  truth: readonly SentimentLabel[],
  predicted: readonly SentimentLabel[],
): ClassificationReport {
  const confusion = Object.fromEntries(
    SENTIMENT_LABELS.map((t) => [t, Object.fromEntries(SENTIMENT_LABELS.map((p) => [p, 0]))]),
  ) as Record<SentimentLabel, Record<SentimentLabel, number>>;
  let correct = 0;
  truth.forEach((t, i) => {
    const p = predicted[i];
    if (p === undefined) return;
    confusion[t][p] += 1;
    if (t === p) correct += 1;
  });
  const perLabel = Object.fromEntries(
    SENTIMENT_LABELS.map((label) => {
      const tp = confusion[label][label];
      const support = SENTIMENT_LABELS.reduce((sum, p) => sum + confusion[label][p], 0);
      const predictedCount = SENTIMENT_LABELS.reduce((sum, t) => sum + confusion[t][label], 0);
      const precision = predictedCount === 0 ? 0 : tp / predictedCount;
      const recall = support === 0 ? 0 : tp / support;
      const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
      return [label, { precision, recall, f1, support }];
    }),
  ) as ClassificationReport['perLabel'];
  const present = SENTIMENT_LABELS.filter(
    (label) => perLabel[label].support > 0 || SENTIMENT_LABELS.some((t) => confusion[t][label] > 0),
  );
  const macroF1 =
    present.length === 0 ? 0 : present.reduce((sum, label) => sum + perLabel[label].f1, 0) / present.length;
  return { n: truth.length, accuracy: truth.length === 0 ? 0 : correct / truth.length, macroF1, perLabel, confusion };
}
