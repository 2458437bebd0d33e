export interface CoverageDriftOptions {
  /** How many of the latest interval outcomes are tested. */
  window: number;
  /** No verdict on fewer outcomes than this. */
  minSamples: number;
  /** |z| of the binomial test beyond which coverage differs from nominal. */
  zThreshold: number;
  /** And by at least this much (a fraction), so a tiny but significant gap does not alarm. */
  tolerance: number;
}

export type CoverageVerdict = 'ok' | 'under-covering' | 'over-covering' | 'too-few';

export interface CoverageCheck {
  verdict: CoverageVerdict;
  n: number;
  coverage: number | null;
  nominal: number | null;
  z: number | null;
}

/**
 * Rolling coverage of the intervals against their nominal coverage, with a binomial test (normal
 * approximation with continuity correction) over the last `window` outcomes: under-covering
 * intervals are too narrow (the model is over-confident), over-covering ones too wide.
 */
export class CoverageDrift {
  private readonly outcomes: { covered: boolean; nominal: number }[] = [];
  private covered = 0;
  private nominalSum = 0;

  constructor(private readonly options: CoverageDriftOptions) {
    if (options.window < options.minSamples) throw new RangeError('the coverage window must hold minSamples');
  }

  update(covered: boolean, nominal: number): CoverageCheck {
    this.outcomes.push({ covered, nominal });
    if (covered) this.covered += 1;
    this.nominalSum += nominal;
    if (this.outcomes.length > this.options.window) {
      const dropped = this.outcomes.shift();
      if (dropped !== undefined) {
        if (dropped.covered) this.covered -= 1;
        this.nominalSum -= dropped.nominal;
      }
    }
    return this.check();
  }

  check(): CoverageCheck {
    const n = this.outcomes.length;
    if (n === 0) return { verdict: 'too-few', n, coverage: null, nominal: null, z: null };
    const coverage = this.covered / n;
    const nominal = this.nominalSum / n;
    const z = binomialZ(this.covered, n, nominal);
    if (n < this.options.minSamples) return { verdict: 'too-few', n, coverage, nominal, z };
    const gap = coverage - nominal;
    let verdict: CoverageVerdict = 'ok';
    if (Math.abs(z) > this.options.zThreshold && Math.abs(gap) > this.options.tolerance) {
      verdict = gap < 0 ? 'under-covering' : 'over-covering';
    }
    return { verdict, n, coverage, nominal, z };
  }
}

/** z of k successes in n trials against success probability p, with continuity correction. */
export function binomialZ(k: number, n: number, p: number): number {
  const expected = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  if (sd === 0) return 0;
  const diff = k - expected;
  const corrected = Math.sign(diff) * Math.max(0, Math.abs(diff) - 0.5);
  return corrected / sd;
}
