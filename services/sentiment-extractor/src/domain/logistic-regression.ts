/** Multinomial logistic regression, softmax(W x + b): a three-class head on 384-d embeddings. */
export interface SoftmaxModel {
  /** classes × features */
  weights: number[][];
  bias: number[];
}

export interface TrainOptions {
  classes: number;
  /** Passes over the data. */
  epochs: number;
  batchSize: number;
  learningRate: number;
  l2: number;
  /** Per-class weight on the loss (e.g. inverse frequency, for macro-F1). */
  classWeights?: number[];
  /** Per-example weight on the loss (e.g. to weigh datasets equally); multiplies the class weight. */
  sampleWeights?: readonly number[];
  /** Seed of the shuffling, so the same data and options give the same model. */
  seed?: number;
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
  const n = features.length;
  const dims = features[0]?.length ?? 0;
  const k = options.classes;
  const W = Array.from({ length: k }, () => new Float64Array(dims));
  const b = new Float64Array(k);
  const mW = Array.from({ length: k }, () => new Float64Array(dims));
  const vW = Array.from({ length: k }, () => new Float64Array(dims));
  const mb = new Float64Array(k);
  const vb = new Float64Array(k);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const classWeights = options.classWeights ?? new Array<number>(k).fill(1);
  const exampleWeight = (i: number, label: number): number =>
    (classWeights[label] ?? 1) * (options.sampleWeights?.[i] ?? 1);
  const meanWeight = labels.reduce((sum, label, i) => sum + exampleWeight(i, label), 0) / Math.max(1, n);
  const probs = new Float64Array(k);
  const random = mulberry32(options.seed ?? 1);
  const order = Array.from({ length: n }, (_, i) => i);
  const gW = Array.from({ length: k }, () => new Float64Array(dims));
  const gb = new Float64Array(k);
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
      for (const g of gW) g.fill(0);
      gb.fill(0);
      for (const i of batch) {
        const x = features[i];
        const y = labels[i];
        if (x === undefined || y === undefined) continue;
        softmaxInto(W, b, x, probs);
        const weight = exampleWeight(i, y) / meanWeight / batch.length;
        for (let c = 0; c < k; c += 1) {
          const error = ((probs[c] ?? 0) - (c === y ? 1 : 0)) * weight;
          const g = gW[c];
          if (g === undefined) continue;
          for (let d = 0; d < dims; d += 1) g[d] = (g[d] ?? 0) + error * (x[d] ?? 0);
          gb[c] = (gb[c] ?? 0) + error;
        }
      }
      step += 1;
      const correction1 = 1 - beta1 ** step;
      const correction2 = 1 - beta2 ** step;
      for (let c = 0; c < k; c += 1) {
        const w = W[c];
        const g = gW[c];
        const m = mW[c];
        const v = vW[c];
        if (w === undefined || g === undefined || m === undefined || v === undefined) continue;
        for (let d = 0; d < dims; d += 1) {
          const grad = (g[d] ?? 0) + options.l2 * (w[d] ?? 0);
          m[d] = beta1 * (m[d] ?? 0) + (1 - beta1) * grad;
          v[d] = beta2 * (v[d] ?? 0) + (1 - beta2) * grad * grad;
          w[d] =
            (w[d] ?? 0) -
            (options.learningRate * ((m[d] ?? 0) / correction1)) / (Math.sqrt((v[d] ?? 0) / correction2) + 1e-8);
        }
        const grad = gb[c] ?? 0;
        mb[c] = beta1 * (mb[c] ?? 0) + (1 - beta1) * grad;
        vb[c] = beta2 * (vb[c] ?? 0) + (1 - beta2) * grad * grad;
        b[c] =
          (b[c] ?? 0) -
          (options.learningRate * ((mb[c] ?? 0) / correction1)) / (Math.sqrt((vb[c] ?? 0) / correction2) + 1e-8);
      }
    }
  }
  return { weights: W.map((row) => [...row]), bias: [...b] };
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function predictProbabilities(model: SoftmaxModel, x: ArrayLike<number>): number[] {
  const probs = new Float64Array(model.bias.length);
  softmaxInto(model.weights, model.bias, x, probs);
  return [...probs];
}

function softmaxInto(
  W: ArrayLike<ArrayLike<number>>,
  b: ArrayLike<number>,
  x: ArrayLike<number>,
  out: Float64Array,
): void {
  let max = -Infinity;
  for (let c = 0; c < out.length; c += 1) {
    const w = W[c];
    let z = b[c] ?? 0;
    if (w !== undefined) for (let d = 0; d < x.length; d += 1) z += (w[d] ?? 0) * (x[d] ?? 0);
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
