import { seededRandom } from '@crypto-predict/core';
import { Adam, forEachMiniBatch, softmaxInPlace, type TrainOptions } from './training-loop.js';
import type { SparseNgrams } from './ngrams.js';

/**
 * Multinomial logistic regression over a dense input (the sentence embedding and the lexicon
 * scores) beside sparse word n-grams: softmax(W x + V g + b). The n-grams carry the words that
 * decide a headline's polarity ("plunges", "rug pull", "partners with") which a paraphrase
 * embedding partly averages away.
 */
export interface NgramSoftmaxModel {
  /** classes × dense inputs */
  weights: number[][];
  /** classes × vocabulary */
  ngramWeights: number[][];
  bias: number[];
}

export interface NgramExample {
  dense: ArrayLike<number>;
  ngrams: SparseNgrams;
}

function logitsInto(
  W: ArrayLike<ArrayLike<number>>,
  V: ArrayLike<ArrayLike<number>>,
  b: ArrayLike<number>,
  x: NgramExample,
  out: Float64Array,
): void {
  for (let c = 0; c < out.length; c += 1) {
    const w = W[c];
    const v = V[c];
    let z = b[c] ?? 0;
    if (w !== undefined) for (let d = 0; d < x.dense.length; d += 1) z += (w[d] ?? 0) * (x.dense[d] ?? 0);
    if (v !== undefined) for (const j of x.ngrams.indices) z += (v[j] ?? 0) * x.ngrams.value;
    out[c] = z;
  }
  softmaxInPlace(out);
}

export function ngramProbabilities(model: NgramSoftmaxModel, x: NgramExample): number[] {
  const probs = new Float64Array(model.bias.length);
  logitsInto(model.weights, model.ngramWeights, model.bias, x, probs);
  return [...probs];
}

/**
 * Mini-batch Adam on the weighted cross-entropy with L2 on W and V, from zero weights with a
 * seeded shuffle: the same data and options give the same model.
 */
export function trainNgramSoftmax(
  examples: readonly NgramExample[],
  labels: readonly number[],
  vocabularySize: number,
  options: TrainOptions,
): NgramSoftmaxModel {
  const dense = examples[0]?.dense.length ?? 0;
  const k = options.classes;
  const width = dense + vocabularySize;
  // One parameter block per class: dense weights, then n-gram weights.
  const params = Array.from({ length: k }, () => new Float64Array(width));
  const grads = Array.from({ length: k }, () => new Float64Array(width));
  const optimisers = params.map((p) => new Adam(p, options.l2));
  const bias = new Float64Array(k);
  const gb = new Float64Array(k);
  const biasOptimiser = new Adam(bias, 0);
  const probs = new Float64Array(k);
  const views = params.map((p) => ({ w: p.subarray(0, dense), v: p.subarray(dense) }));
  const denseWeights = views.map((view) => view.w);
  const ngramWeights = views.map((view) => view.v);
  forEachMiniBatch(labels, options, seededRandom(options.seed ?? 1), ({ indices, weights }) => {
    for (const g of grads) g.fill(0);
    gb.fill(0);
    indices.forEach((i, j) => {
      const x = examples[i];
      const y = labels[i];
      if (x === undefined || y === undefined) return;
      logitsInto(denseWeights, ngramWeights, bias, x, probs);
      for (let c = 0; c < k; c += 1) {
        const error = ((probs[c] ?? 0) - (c === y ? 1 : 0)) * (weights[j] ?? 0);
        const g = grads[c];
        if (g === undefined) continue;
        for (let d = 0; d < dense; d += 1) g[d] = (g[d] ?? 0) + error * (x.dense[d] ?? 0);
        for (const n of x.ngrams.indices) g[dense + n] = (g[dense + n] ?? 0) + error * x.ngrams.value;
        gb[c] = (gb[c] ?? 0) + error;
      }
    });
    optimisers.forEach((optimiser, c) => optimiser.step(grads[c] ?? new Float64Array(width), options.learningRate));
    biasOptimiser.step(gb, options.learningRate);
  });
  return {
    weights: views.map((view) => [...view.w]),
    ngramWeights: views.map((view) => [...view.v]),
    bias: [...bias],
  };
}
