import { mulberry32, type TrainOptions } from './logistic-regression.js';
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
  let max = -Infinity;
  for (let c = 0; c < out.length; c += 1) {
    const w = W[c];
    const v = V[c];
    let z = b[c] ?? 0;
    if (w !== undefined) for (let d = 0; d < x.dense.length; d += 1) z += (w[d] ?? 0) * (x.dense[d] ?? 0);
    if (v !== undefined) for (const j of x.ngrams.indices) z += (v[j] ?? 0) * x.ngrams.value;
    out[c] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let c = 0; c < out.length; c += 1) {
    const e = Math.exp((out[c] ?? 0) - max);
    out[c] = e;
    sum += e;
  }
  for (let c = 0; c < out.length; c += 1) out[c] = (out[c] ?? 0) / sum;
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
  const n = examples.length;
  const dense = examples[0]?.dense.length ?? 0;
  const k = options.classes;
  const width = dense + vocabularySize;
  // One parameter block per class: dense weights, then n-gram weights.
  const params = Array.from({ length: k }, () => new Float64Array(width));
  const grads = Array.from({ length: k }, () => new Float64Array(width));
  const m = Array.from({ length: k }, () => new Float64Array(width));
  const v = Array.from({ length: k }, () => new Float64Array(width));
  const bias = new Float64Array(k);
  const gb = new Float64Array(k);
  const mb = new Float64Array(k);
  const vb = new Float64Array(k);
  const classWeights = options.classWeights ?? new Array<number>(k).fill(1);
  const exampleWeight = (i: number, label: number): number =>
    (classWeights[label] ?? 1) * (options.sampleWeights?.[i] ?? 1);
  const meanWeight = labels.reduce((sum, label, i) => sum + exampleWeight(i, label), 0) / Math.max(1, n);
  const random = mulberry32(options.seed ?? 1);
  const order = Array.from({ length: n }, (_, i) => i);
  const probs = new Float64Array(k);
  const views = params.map((p) => ({ w: p.subarray(0, dense), v: p.subarray(dense) }));
  const denseWeights = views.map((view) => view.w);
  const ngramWeights = views.map((view) => view.v);
  const beta1 = 0.9;
  const beta2 = 0.999;
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch += 1) {
    for (let i = n - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      const tmp = order[i] ?? 0;
      order[i] = order[j] ?? 0;
      order[j] = tmp;
    }
    for (let start = 0; start < n; start += options.batchSize) {
      const batch = order.slice(start, start + options.batchSize);
      for (const g of grads) g.fill(0);
      gb.fill(0);
      for (const i of batch) {
        const x = examples[i];
        const y = labels[i];
        if (x === undefined || y === undefined) continue;
        logitsInto(denseWeights, ngramWeights, bias, x, probs);
        const weight = exampleWeight(i, y) / meanWeight / batch.length;
        for (let c = 0; c < k; c += 1) {
          const error = ((probs[c] ?? 0) - (c === y ? 1 : 0)) * weight;
          const g = grads[c];
          if (g === undefined) continue;
          for (let d = 0; d < dense; d += 1) g[d] = (g[d] ?? 0) + error * (x.dense[d] ?? 0);
          for (const j of x.ngrams.indices) g[dense + j] = (g[dense + j] ?? 0) + error * x.ngrams.value;
          gb[c] = (gb[c] ?? 0) + error;
        }
      }
      step += 1;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      const lr = options.learningRate;
      for (let c = 0; c < k; c += 1) {
        const p = params[c];
        const g = grads[c];
        const mc = m[c];
        const vc = v[c];
        if (p === undefined || g === undefined || mc === undefined || vc === undefined) continue;
        for (let d = 0; d < width; d += 1) {
          const grad = (g[d] ?? 0) + options.l2 * (p[d] ?? 0);
          const md = beta1 * (mc[d] ?? 0) + (1 - beta1) * grad;
          const vd = beta2 * (vc[d] ?? 0) + (1 - beta2) * grad * grad;
          mc[d] = md;
          vc[d] = vd;
          p[d] = (p[d] ?? 0) - (lr * (md / c1)) / (Math.sqrt(vd / c2) + 1e-8);
        }
        const grad = gb[c] ?? 0;
        mb[c] = beta1 * (mb[c] ?? 0) + (1 - beta1) * grad;
        vb[c] = beta2 * (vb[c] ?? 0) + (1 - beta2) * grad * grad;
        bias[c] = (bias[c] ?? 0) - (lr * ((mb[c] ?? 0) / c1)) / (Math.sqrt((vb[c] ?? 0) / c2) + 1e-8);
      }
    }
  }
  return {
    weights: views.map((view) => [...view.w]),
    ngramWeights: views.map((view) => [...view.v]),
    bias: [...bias],
  };
}
