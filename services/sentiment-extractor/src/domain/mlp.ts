import { seededRandom } from '@crypto-predict/core';
import { Adam, forEachMiniBatch, softmaxInPlace, type TrainOptions } from './training-loop.js';

/**
 * A one-hidden-layer perceptron head: softmax(W2 · relu(W1 x + b1) + b2). Trained by mini-batch
 * Adam on the weighted cross-entropy with L2; He-initialised from a seeded PRNG and shuffled
 * with it, so the same data and options give the same model.
 */
export interface MlpModel {
  /** hidden × inputs */
  hiddenWeights: number[][];
  hiddenBias: number[];
  /** classes × hidden */
  weights: number[][];
  bias: number[];
}

export interface MlpOptions extends TrainOptions {
  hidden: number;
}

export function trainMlp(
  features: readonly ArrayLike<number>[],
  labels: readonly number[],
  options: MlpOptions,
): MlpModel {
  const d = features[0]?.length ?? 0;
  const h = options.hidden;
  const k = options.classes;
  const random = seededRandom(options.seed ?? 1);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const W1 = Float64Array.from({ length: h * d }, () => gaussian() * Math.sqrt(2 / d));
  const b1 = new Float64Array(h);
  const W2 = Float64Array.from({ length: k * h }, () => gaussian() * Math.sqrt(2 / h));
  const b2 = new Float64Array(k);
  const gW1 = new Float64Array(h * d);
  const gb1 = new Float64Array(h);
  const gW2 = new Float64Array(k * h);
  const gb2 = new Float64Array(k);
  const optimisers: Array<[Adam, Float64Array]> = [
    [new Adam(W1, options.l2), gW1],
    [new Adam(b1, 0), gb1],
    [new Adam(W2, options.l2), gW2],
    [new Adam(b2, 0), gb2],
  ];
  const hidden = new Float64Array(h);
  const logits = new Float64Array(k);
  const dHidden = new Float64Array(h);
  // The shuffle continues the stream the initial weights were drawn from.
  forEachMiniBatch(labels, options, random, ({ indices, weights }) => {
    for (const [, g] of optimisers) g.fill(0);
    indices.forEach((i, b) => {
      const x = features[i];
      const y = labels[i];
      if (x === undefined || y === undefined) return;
      forward(W1, b1, W2, b2, x, d, h, k, hidden, logits);
      const weight = weights[b] ?? 0;
      dHidden.fill(0);
      for (let c = 0; c < k; c += 1) {
        const error = ((logits[c] ?? 0) - (c === y ? 1 : 0)) * weight;
        gb2[c] = (gb2[c] ?? 0) + error;
        for (let j = 0; j < h; j += 1) {
          gW2[c * h + j] = (gW2[c * h + j] ?? 0) + error * (hidden[j] ?? 0);
          dHidden[j] = (dHidden[j] ?? 0) + error * (W2[c * h + j] ?? 0);
        }
      }
      for (let j = 0; j < h; j += 1) {
        if ((hidden[j] ?? 0) <= 0) continue;
        const g = dHidden[j] ?? 0;
        gb1[j] = (gb1[j] ?? 0) + g;
        const row = j * d;
        for (let m = 0; m < d; m += 1) gW1[row + m] = (gW1[row + m] ?? 0) + g * (x[m] ?? 0);
      }
    });
    for (const [optimiser, g] of optimisers) optimiser.step(g, options.learningRate);
  });
  const rows = (flat: Float64Array, count: number, width: number): number[][] =>
    Array.from({ length: count }, (_, r) => [...flat.subarray(r * width, (r + 1) * width)]);
  return { hiddenWeights: rows(W1, h, d), hiddenBias: [...b1], weights: rows(W2, k, h), bias: [...b2] };
}

/** Class probabilities for one input. */
export function mlpProbabilities(model: MlpModel, x: ArrayLike<number>): number[] {
  const h = model.hiddenBias.length;
  const hidden = new Array<number>(h);
  for (let j = 0; j < h; j += 1) {
    const w = model.hiddenWeights[j];
    let z = model.hiddenBias[j] ?? 0;
    if (w !== undefined) for (let m = 0; m < x.length; m += 1) z += (w[m] ?? 0) * (x[m] ?? 0);
    hidden[j] = z > 0 ? z : 0;
  }
  const logits = model.bias.map((b, c) => {
    const w = model.weights[c];
    let z = b;
    if (w !== undefined) for (let j = 0; j < h; j += 1) z += (w[j] ?? 0) * (hidden[j] ?? 0);
    return z;
  });
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** Forward pass into preallocated buffers; `logits` ends up holding the softmax probabilities. */
function forward(
  W1: Float64Array,
  b1: Float64Array,
  W2: Float64Array,
  b2: Float64Array,
  x: ArrayLike<number>,
  d: number,
  h: number,
  k: number,
  hidden: Float64Array,
  logits: Float64Array,
): void {
  for (let j = 0; j < h; j += 1) {
    let z = b1[j] ?? 0;
    const row = j * d;
    for (let m = 0; m < d; m += 1) z += (W1[row + m] ?? 0) * (x[m] ?? 0);
    hidden[j] = z > 0 ? z : 0;
  }
  for (let c = 0; c < k; c += 1) {
    let z = b2[c] ?? 0;
    for (let j = 0; j < h; j += 1) z += (W2[c * h + j] ?? 0) * (hidden[j] ?? 0);
    logits[c] = z;
  }
  softmaxInPlace(logits);
}
