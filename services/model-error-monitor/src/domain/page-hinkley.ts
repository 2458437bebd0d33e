export interface PageHinkleyOptions {
  /** Samples that estimate the in-control mean before the test starts. */
  warmup: number;
  /** Tolerated rise, as a fraction of the in-control mean (0.1 = 10 %). */
  delta: number;
  /** Alarm threshold on the cumulative rise, in units of the in-control mean. */
  lambda: number;
  /** Each normalised sample is capped at this many in-control means, so one outlier cannot alarm alone. */
  clip: number;
}

export interface PageHinkleyState {
  /** The in-control mean, once the warm-up is over. */
  reference: number | null;
  /** m_t − min m: the cumulative rise the alarm threshold is compared with. */
  statistic: number;
  samples: number;
  alarms: number;
}

/**
 * Page-Hinkley test for an increase in the mean of a non-negative series (absolute errors), in
 * Page's form with a known in-control mean: the mean of the first `warmup` samples. With
 * z_t = min(x_t / μ0, clip), m_t = Σ (z_t − 1 − δ), M_t = min(0, m_1 … m_t), it alarms when
 * m_t − M_t > λ and then restarts the sums but keeps μ0, so an error that stays high alarms again
 * (which is what "sustained" means to the retrain policy). Normalising by μ0 makes δ and λ free of
 * the price level and the horizon.
 */
export class PageHinkley {
  private reference: number | null = null;
  private warmupSum = 0;
  private samples = 0;
  private cumulative = 0;
  private minimum = 0;
  private alarms = 0;

  constructor(private readonly options: PageHinkleyOptions) {
    if (options.warmup < 1) throw new RangeError('the Page-Hinkley warm-up needs at least one sample');
    if (options.lambda <= 0) throw new RangeError('the Page-Hinkley threshold must be positive');
  }

  /** Adds one sample; true when it raised an alarm. */
  update(value: number): boolean {
    if (!Number.isFinite(value) || value < 0) return false;
    this.samples += 1;
    if (this.reference === null) {
      this.warmupSum += value;
      if (this.samples >= this.options.warmup) {
        // A series of exact zeros has no scale; any later error then counts as the clipped maximum.
        this.reference = Math.max(this.warmupSum / this.samples, Number.MIN_VALUE);
      }
      return false;
    }
    const normalised = Math.min(value / this.reference, this.options.clip);
    this.cumulative += normalised - 1 - this.options.delta;
    this.minimum = Math.min(this.minimum, this.cumulative);
    if (this.cumulative - this.minimum > this.options.lambda) {
      this.alarms += 1;
      this.cumulative = 0;
      this.minimum = 0;
      return true;
    }
    return false;
  }

  state(): PageHinkleyState {
    return {
      reference: this.reference,
      statistic: this.cumulative - this.minimum,
      samples: this.samples,
      alarms: this.alarms,
    };
  }
}
