/**
 * What the heads' trainers (logistic regression, n-gram softmax, MLP) share: a seeded shuffle per
 * epoch, mini-batches, per-example loss weights (class weight × sample weight, scaled to average 1
 * over the data and divided by the batch size, so a batch's gradient is a weighted mean) and the
 * Adam update. Same data and options, same sequence of batches: training is deterministic.
 */
export interface TrainOptions {
  classes: number;
  /** Passes over the data. */
  epochs: number;
  batchSize: number;
  learningRate: number;
  l2: number;
  /** Per-class weight on the loss (e.g. inverse frequency, for macro-F1). */
  classWeights?: readonly number[];
  /** Per-example weight on the loss (e.g. to weigh datasets equally); multiplies the class weight. */
  sampleWeights?: readonly number[];
  /** Seed of the shuffling (and of an MLP's initial weights), so the same data and options give the same model. */
  seed?: number;
}

/** One mini-batch: the example indices and each one's share of the batch gradient. */
export interface MiniBatch {
  indices: readonly number[];
  /** weight(j) for the j-th index of the batch. */
  weights: Float64Array;
}

/**
 * Calls `step` for every mini-batch of every epoch, in a seeded order (Fisher–Yates with
 * `random`, which an MLP also draws its initial weights from before training).
 */
export function forEachMiniBatch(
  labels: readonly number[],
  options: Pick<TrainOptions, 'epochs' | 'batchSize' | 'classWeights' | 'sampleWeights'>,
  random: () => number,
  step: (batch: MiniBatch) => void,
): void {
  const n = labels.length;
  const exampleWeight = labels.map(
    (label, i) => (options.classWeights?.[label] ?? 1) * (options.sampleWeights?.[i] ?? 1),
  );
  const meanWeight = exampleWeight.reduce((sum, weight) => sum + weight, 0) / Math.max(1, n);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let epoch = 0; epoch < options.epochs; epoch += 1) {
    for (let i = n - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      const tmp = order[i] ?? 0;
      order[i] = order[j] ?? 0;
      order[j] = tmp;
    }
    for (let start = 0; start < n; start += options.batchSize) {
      const indices = order.slice(start, start + options.batchSize);
      const weights = Float64Array.from(
        indices,
        (i) => (meanWeight === 0 ? 0 : (exampleWeight[i] ?? 0) / meanWeight) / indices.length,
      );
      step({ indices, weights });
    }
  }
}

/** Adam (β1 0.9, β2 0.999, ε 1e-8) with L2 added to the gradient, for one flat block of parameters. */
export class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;

  constructor(
    private readonly params: Float64Array,
    private readonly l2: number,
  ) {
    this.m = new Float64Array(params.length);
    this.v = new Float64Array(params.length);
  }

  step(grads: Float64Array, learningRate: number): void {
    this.t += 1;
    const c1 = 1 - 0.9 ** this.t;
    const c2 = 1 - 0.999 ** this.t;
    const { params, m, v, l2 } = this;
    for (let i = 0; i < params.length; i += 1) {
      const g = (grads[i] ?? 0) + l2 * (params[i] ?? 0);
      const mi = 0.9 * (m[i] ?? 0) + 0.1 * g;
      const vi = 0.999 * (v[i] ?? 0) + 0.001 * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i] = (params[i] ?? 0) - (learningRate * (mi / c1)) / (Math.sqrt(vi / c2) + 1e-8);
    }
  }
}

/** Softmax of `logits` in place (shifted by the maximum, for stability). */
export function softmaxInPlace(logits: Float64Array): void {
  let max = -Infinity;
  for (const z of logits) if (z > max) max = z;
  let sum = 0;
  for (let c = 0; c < logits.length; c += 1) {
    const e = Math.exp((logits[c] ?? 0) - max);
    logits[c] = e;
    sum += e;
  }
  for (let c = 0; c < logits.length; c += 1) logits[c] = (logits[c] ?? 0) / sum;
}
