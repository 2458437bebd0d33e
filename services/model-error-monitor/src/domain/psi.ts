/** A feature's training distribution, as the trainer writes it into the model contract. */
export interface FeatureReference {
  /** Decile edges on the training split, de-duplicated. */
  edges: readonly number[];
  /** Fraction of training rows in each bin; one fewer than the edges. */
  fractions: readonly number[];
}

/**
 * The bin of a value, as the trainer defines it: bin i is [edges[i], edges[i+1]) except the last,
 * which is closed; below edges[0] counts in the first bin, above edges[-1] in the last. That is the
 * number of interior edges ≤ value.
 */
export function binIndex(edges: readonly number[], value: number): number {
  let bin = 0;
  for (let i = 1; i < edges.length - 1; i += 1) {
    const edge = edges[i];
    if (edge !== undefined && edge <= value) bin += 1;
  }
  return bin;
}

/** Floor on a bin's fraction, so an empty bin does not make the log infinite. */
export const PSI_EPSILON = 1e-4;

/**
 * Population stability index of live bin counts against reference fractions:
 * Σ (live_i − ref_i) · ln(live_i / ref_i). Rules of thumb: < 0.1 stable, 0.1–0.25 moderate shift,
 * > 0.25 major shift.
 */
export function populationStabilityIndex(reference: readonly number[], liveCounts: readonly number[]): number {
  const total = liveCounts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return 0;
  let psi = 0;
  for (let i = 0; i < reference.length; i += 1) {
    const expected = Math.max(reference[i] ?? 0, PSI_EPSILON);
    const actual = Math.max((liveCounts[i] ?? 0) / total, PSI_EPSILON);
    psi += (actual - expected) * Math.log(actual / expected);
  }
  return psi;
}

export interface FeatureDriftOptions {
  /** Live rows the PSI is computed over (the latest ones). */
  windowRows: number;
  /** No verdict on fewer non-null values of a feature than this. */
  minRows: number;
  warning: number;
  critical: number;
}

export interface FeaturePsi {
  feature: string;
  psi: number;
  rows: number;
  severity: 'ok' | 'warning' | 'critical';
}

interface FeatureWindow {
  reference: FeatureReference;
  bins: number[];
  counts: number[];
}

/**
 * Live distribution of each feature a model reads, over the latest rows, against its training
 * reference. Null values (indicators warming up) are not counted.
 */
export class FeatureDrift {
  private readonly windows = new Map<string, FeatureWindow>();

  constructor(
    references: Readonly<Record<string, FeatureReference>>,
    private readonly options: FeatureDriftOptions,
  ) {
    for (const [feature, reference] of Object.entries(references)) {
      if (reference.fractions.length === 0 || reference.edges.length !== reference.fractions.length + 1) continue;
      this.windows.set(feature, { reference, bins: [], counts: reference.fractions.map(() => 0) });
    }
  }

  /** Features with a usable reference. */
  features(): string[] {
    return [...this.windows.keys()];
  }

  add(features: Readonly<Record<string, number | null>>): void {
    for (const [feature, window] of this.windows) {
      const value = features[feature];
      if (value === undefined || value === null || !Number.isFinite(value)) continue;
      const bin = binIndex(window.reference.edges, value);
      window.bins.push(bin);
      window.counts[bin] = (window.counts[bin] ?? 0) + 1;
      if (window.bins.length > this.options.windowRows) {
        const dropped = window.bins.shift();
        if (dropped !== undefined) window.counts[dropped] = (window.counts[dropped] ?? 0) - 1;
      }
    }
  }

  evaluate(): FeaturePsi[] {
    const out: FeaturePsi[] = [];
    for (const [feature, window] of this.windows) {
      const rows = window.bins.length;
      if (rows < this.options.minRows) continue;
      const psi = populationStabilityIndex(window.reference.fractions, window.counts);
      const severity = psi > this.options.critical ? 'critical' : psi > this.options.warning ? 'warning' : 'ok';
      out.push({ feature, psi, rows, severity });
    }
    return out;
  }
}
