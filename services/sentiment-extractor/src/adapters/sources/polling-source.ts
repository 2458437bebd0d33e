import { AppError, describeError, type Logger, type NewsItem } from '@crypto-predict/core';
import { backoffMs } from '../../domain/backoff.js';
import type { Clock } from '../clock.js';
import type { SentimentMetrics } from '../metrics.js';
import type { NewsSink, NewsSource } from './news-source.js';

export interface PollSettings {
  intervalMs: number;
  /** Backoff after failures: base and cap. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

/**
 * Polls a news API or feed every interval. A rate limit waits out Retry-After (or backs off);
 * other retryable failures back off exponentially with jitter; a non-retryable failure (a bad
 * key) stops the source with that error, for the service's top-level handler.
 */
export class PollingSource implements NewsSource {
  constructor(
    readonly name: string,
    private readonly poll: (signal: AbortSignal) => Promise<NewsItem[]>,
    private readonly settings: PollSettings,
    private readonly deps: { clock: Clock; log: Logger; metrics?: SentimentMetrics; random?: () => number },
  ) {}

  async run(sink: NewsSink, signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let wait = this.settings.intervalMs;
      try {
        const items = await this.poll(signal);
        if (items.length > 0) await sink(items);
        failures = 0;
        this.deps.log.debug({ source: this.name, items: items.length }, 'polled');
      } catch (error) {
        if (signal.aborted) break;
        const appError = AppError.from(error, 'UPSTREAM_UNAVAILABLE');
        this.deps.metrics?.sourceErrors.inc({ source: this.name, code: appError.code });
        if (!appError.retryable) {
          this.deps.log.error({ source: this.name, err: describeError(appError) }, 'news source failed for good');
          throw appError;
        }
        failures += 1;
        const backoff = backoffMs(
          failures - 1,
          this.settings.backoffBaseMs ?? 1_000,
          this.settings.backoffCapMs ?? 300_000,
          (this.deps.random ?? Math.random)(),
        );
        const retryAfter =
          appError.code === 'RATE_LIMITED' && typeof appError.details.retryAfterMs === 'number'
            ? appError.details.retryAfterMs
            : undefined;
        wait = retryAfter ?? backoff;
        this.deps.log.warn(
          { source: this.name, err: describeError(appError), failures, waitMs: wait },
          'news poll failed, will retry',
        );
      }
      await this.deps.clock.sleep(wait, signal);
    }
  }
}
