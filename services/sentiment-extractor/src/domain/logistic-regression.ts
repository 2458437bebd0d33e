import { seededRandom } from '@crypto-predict/core';
import { Adam, forEachMiniBatch, softmaxInPlace, type TrainOptions } from './training-loop.js';

/** Multinomial logistic regression, softmax(W x + b): a three-class head on 384-d embeddings. */
export interface SoftmaxModel {
  /** classes × features */
  weights: number[][];
  bias: number[];
}

/**
 * Mini-batch Adam on the weighted cross-entropy, with L2 on W. Deterministic: zero
 * initialisation and a seeded shuffle.
 */
export function trainSoftmax(
  features: readonly ArrayLike<number>[],
  labels: readonly number[],
  options: TrainOptions,
): SoftmaxModel {
  const dims = features[0]?.length ?? 0;
  const k = options.classes;
  // Class c's weights are W[c * dims .. (c + 1) * dims).
  const W = new Float64Array(k * dims);
  const b = new Float64Array(k);
  const gW = new Float64Array(k * dims);
  const gb = new Float64Array(k);
  const adamW = new Adam(W, options.l2);
  const adamB = new Adam(b, 0);
  const probs = new Float64Array(k);
  forEachMiniBatch(labels, options, seededRandom(options.seed ?? 1), ({ indices, weights }) => {
    gW.fill(0);
    gb.fill(0);
    indices.forEach((i, j) => {
      const x = features[i];
      const y = labels[i];
      if (x === undefined || y === undefined) return;
      logitsInto(W, b, x, probs);
      softmaxInPlace(probs);
      for (let c = 0; c < k; c += 1) {
        const error = ((probs[c] ?? 0) - (c === y ? 1 : 0)) * (weights[j] ?? 0);
        const row = c * dims;
        for (let d = 0; d < dims; d += 1) gW[row + d] = (gW[row + d] ?? 0) + error * (x[d] ?? 0);
        gb[c] = (gb[c] ?? 0) + error;
      }
    });
    adamW.step(gW, options.learningRate);
    adamB.step(gb, options.learningRate);
  });
  return { weights: Array.from({ length: k }, (_, c) => [...W.subarray(c * dims, (c + 1) * dims)]), bias: [...b] };
}

function logitsInto(W: Float64Array, b: Float64Array, x: ArrayLike<number>, out: Float64Array): void {
  const dims = x.length;
  for (let c = 0; c < out.length; c += 1) {
    let z = b[c] ?? 0;
    const row = c * dims;
    for (let d = 0; d < dims; d += 1) z += (W[row + d] ?? 0) * (x[d] ?? 0);
    out[c] = z;
  }
}

export function predictProbabilities(model: SoftmaxModel, x: ArrayLike<number>): number[] {
  const probs = Float64Array.from(model.bias, (b, c) => {
    const w = model.weights[c];
    let z = b;
    if (w !== undefined) for (let d = 0; d < x.length; d += 1) z += (w[d] ?? 0) * (x[d] ?? 0);
    return z;
  });
  softmaxInPlace(probs);
  return [...probs];
}

/** Inverse-frequency class weights (counting each example by its sample weight), averaging 1. */
export function balancedClassWeights(
  labels: readonly number[],
  classes: number,
  sampleWeights?: readonly number[],
): number[] {
  const counts = new Array<number>(classes).fill(0);
  let total = 0;
  labels.forEach((label, i) => {
    const weight = sampleWeights?.[i] ?? 1;
    counts[label] = (counts[label] ?? 0) + weight;
    total += weight;
  });
  return counts.map((count) => (count === 0 ? 0 : total / (classes * count)));
}
