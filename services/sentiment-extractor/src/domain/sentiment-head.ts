import { z } from 'zod';
import { EMBEDDER_NAMES } from './embedders.js';
import { predictProbabilities } from './logistic-regression.js';
import { mlpProbabilities } from './mlp.js';
import { ngramProbabilities } from './ngram-softmax.js';
import { sparseNgrams, vocabularyIndex } from './ngrams.js';
import { clamp, SENTIMENT_LABELS, type SentimentLabel } from './sentiment.js';

/**
 * A trained classification head on sentence embeddings, as stored in models/sentiment-head.json:
 * its weights, the label order, the embedder it expects, and what it was trained and tested on.
 */
export const SentimentHead = z.object({
  /**
   * softmax-head: logistic regression; mlp-head: one ReLU hidden layer before it;
   * ngram-softmax-head: logistic regression on the input and the text's word n-grams.
   */
  kind: z.enum(['softmax-head', 'mlp-head', 'ngram-softmax-head']),
  version: z.literal(2),
  /** The sentence encoders whose embeddings the head reads, side by side in this order. */
  embedders: z.array(z.enum(EMBEDDER_NAMES)).min(1),
  /** Their names joined by '+': part of the model name in every Sentiment. */
  embedder: z.string(),
  /** What the head reads: the embedding(s) alone, or with the three lexicon scores appended. */
  features: z.enum(['embedding', 'embedding+lexicon']),
  dimensions: z.number().int().positive(),
  labels: z.array(z.enum(SENTIMENT_LABELS)).length(3),
  weights: z.array(z.array(z.number())).length(3),
  bias: z.array(z.number()).length(3),
  /** The hidden layer of an mlp-head (hidden × inputs, and its bias). */
  hiddenWeights: z.array(z.array(z.number())).optional(),
  hiddenBias: z.array(z.number()).optional(),
  /** The n-gram part of an ngram-softmax-head: its vocabulary and classes × vocabulary weights. */
  ngrams: z.object({ vocabulary: z.array(z.string()), weights: z.array(z.array(z.number())).length(3) }).optional(),
  /** Short id of the weights; part of the model name in every Sentiment. */
  id: z.string(),
  trainedOn: z.array(z.object({ dataset: z.string(), split: z.string(), examples: z.number().int() })),
  options: z.record(z.string(), z.unknown()),
  heldOut: z.record(z.string(), z.object({ n: z.number(), accuracy: z.number(), macroF1: z.number() })).optional(),
});
export type SentimentHead = z.infer<typeof SentimentHead>;

export interface HeadPrediction {
  label: SentimentLabel;
  /** p(bullish) − p(bearish), in [-1, 1]. */
  score: number;
  confidence: number;
  probabilities: Record<SentimentLabel, number>;
}

const ngramIndexes = new WeakMap<object, Map<string, number>>();

/** The head's prediction for one input (see head-features.ts); an n-gram head also reads the text. */
export function predictWithHead(head: SentimentHead, embedding: ArrayLike<number>, text = ''): HeadPrediction {
  let p: number[];
  if (head.kind === 'mlp-head' && head.hiddenWeights !== undefined && head.hiddenBias !== undefined) {
    p = mlpProbabilities(
      { hiddenWeights: head.hiddenWeights, hiddenBias: head.hiddenBias, weights: head.weights, bias: head.bias },
      embedding,
    );
  } else if (head.kind === 'ngram-softmax-head' && head.ngrams !== undefined) {
    let index = ngramIndexes.get(head.ngrams);
    if (index === undefined) {
      index = vocabularyIndex(head.ngrams.vocabulary);
      ngramIndexes.set(head.ngrams, index);
    }
    p = ngramProbabilities(
      { weights: head.weights, ngramWeights: head.ngrams.weights, bias: head.bias },
      { dense: embedding, ngrams: sparseNgrams(index, text) },
    );
  } else {
    p = predictProbabilities(head, embedding);
  }
  const probabilities = { bearish: 0, neutral: 0, bullish: 0 };
  head.labels.forEach((label, index) => {
    probabilities[label] = p[index] ?? 0;
  });
  let label: SentimentLabel = 'neutral';
  for (const candidate of SENTIMENT_LABELS) if (probabilities[candidate] > probabilities[label]) label = candidate;
  return {
    label,
    score: clamp(probabilities.bullish - probabilities.bearish, -1, 1),
    confidence: probabilities[label],
    probabilities,
  };
}
