import { mulberry32 } from './logistic-regression.js';

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

export interface MlpOptions {
  classes: number;
  hidden: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  l2: number;
  classWeights?: number[];
  sampleWeights?: readonly number[];
  seed?: number;
}

class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  constructor(size: number) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }
  step(params: Float64Array, grads: Float64Array, lr: number, t: number, l2: number): void {
    const c1 = 1 - 0.9 ** t;
    const c2 = 1 - 0.999 ** t;
    for (let i = 0; i < params.length; i += 1) {
      const g = (grads[i] ?? 0) + l2 * (params[i] ?? 0);
      const m = 0.9 * (this.m[i] ?? 0) + 0.1 * g;
      const v = 0.999 * (this.v[i] ?? 0) + 0.001 * g * g;
      this.m[i] = m;
      this.v[i] = v;
      params[i] = (params[i] ?? 0) - (lr * (m / c1)) / (Math.sqrt(v / c2) + 1e-8);
    }
  }
}

export function trainMlp(
  features: readonly ArrayLike<number>[],
  labels: readonly number[],
  options: MlpOptions,
): MlpModel {
  const n = features.length;
  const d = features[0]?.length ?? 0;
  const h = options.hidden;
  const k = options.classes;
  const random = mulberry32(options.seed ?? 1);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const W1 = Float64Array.from({ length: h * d }, () => gaussian() * Math.sqrt(2 / d));
  const b1 = new Float64Array(h);
  const W2 = Float64Array.from({ length: k * h }, () => gaussian() * Math.sqrt(2 / h));
  const b2 = new Float64Array(k);
  const gW1 = new Float64Array(h * d);
  const gb1 = new Float64Array(h);
  const gW2 = new Float64Array(k * h);
  const gb2 = new Float64Array(k);
  const opt = [new Adam(h * d), new Adam(h), new Adam(k * h), new Adam(k)];
  const classWeights = options.classWeights ?? new Array<number>(k).fill(1);
  const weightOf = (i: number, label: number): number => (classWeights[label] ?? 1) * (options.sampleWeights?.[i] ?? 1);
  const meanWeight = labels.reduce((sum, label, i) => sum + weightOf(i, label), 0) / Math.max(1, n);
  const hidden = new Float64Array(h);
  const logits = new Float64Array(k);
  const dHidden = new Float64Array(h);
  const order = Array.from({ length: n }, (_, i) => i);
  let t = 0;
  for (let epoch = 0; epoch < options.epochs; epoch += 1) {
    for (let i = n - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      const tmp = order[i] ?? 0;
      order[i] = order[j] ?? 0;
      order[j] = tmp;
    }
    for (let start = 0; start < n; start += options.batchSize) {
      const batch = order.slice(start, start + options.batchSize);
      gW1.fill(0);
      gb1.fill(0);
      gW2.fill(0);
      gb2.fill(0);
      for (const i of batch) {
        const x = features[i];
        const y = labels[i];
        if (x === undefined || y === undefined) continue;
        forward(W1, b1, W2, b2, x, d, h, k, hidden, logits);
        const weight = weightOf(i, y) / meanWeight / batch.length;
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
      }
      t += 1;
      opt[0]?.step(W1, gW1, options.learningRate, t, options.l2);
      opt[1]?.step(b1, gb1, options.learningRate, t, 0);
      opt[2]?.step(W2, gW2, options.learningRate, t, options.l2);
      opt[3]?.step(b2, gb2, options.learningRate, t, 0);
    }
  }
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
  let max = -Infinity;
  for (let c = 0; c < k; c += 1) {
    let z = b2[c] ?? 0;
    for (let j = 0; j < h; j += 1) z += (W2[c * h + j] ?? 0) * (hidden[j] ?? 0);
    logits[c] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let c = 0; c < k; c += 1) {
    const e = Math.exp((logits[c] ?? 0) - max);
    logits[c] = e;
    sum += e;
  }
  for (let c = 0; c < k; c += 1) logits[c] = (logits[c] ?? 0) / sum;
}
