import { describeError, type Alert, type Logger } from '@crypto-predict/core';

export interface WebhookOptions {
  url: string;
  timeoutMs: number;
  /** Further attempts after the first fails. */
  retries: number;
  log: Logger;
  onOutcome?: (outcome: 'delivered' | 'failed' | 'dropped') => void;
  /** Alerts waiting beyond this are dropped, oldest first. */
  maxQueue?: number;
  /** Backoff before retry n is base · 2^n. */
  retryBaseMs?: number;
}

/**
 * POSTs each alert as JSON to a webhook, one at a time in the background: scoring never waits for
 * it, a slow or failing receiver costs only a bounded queue, and every delivery has a timeout.
 */
export class AlertWebhook {
  private readonly queue: Alert[] = [];
  private draining: Promise<void> | null = null;
  private stopped = false;
  private abandoned = false;

  constructor(private readonly options: WebhookOptions) {}

  notify(alerts: readonly Alert[]): void {
    if (this.stopped) return;
    const max = this.options.maxQueue ?? 1_000;
    for (const alert of alerts) {
      this.queue.push(alert);
      if (this.queue.length > max) {
        this.queue.shift();
        this.options.onOutcome?.('dropped');
      }
    }
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
  }

  /** Stops taking alerts; waits up to `graceMs` for the queue to drain, then abandons the rest. */
  async stop(graceMs = 2_000): Promise<void> {
    this.stopped = true;
    if (this.draining !== null) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.draining, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    this.abandoned = true;
  }

  private async drain(): Promise<void> {
    for (let alert = this.queue.shift(); alert !== undefined && !this.abandoned; alert = this.queue.shift()) {
      const delivered = await this.deliver(alert);
      this.options.onOutcome?.(delivered ? 'delivered' : 'failed');
    }
  }

  private async deliver(alert: Alert): Promise<boolean> {
    const base = this.options.retryBaseMs ?? 500;
    for (let attempt = 0; attempt <= this.options.retries; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, base * 2 ** (attempt - 1)));
      try {
        const response = await fetch(this.options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(alert),
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return true;
        // A 4xx other than 408/429 will not get better by retrying.
        if (response.status < 500 && response.status !== 408 && response.status !== 429) {
          this.options.log.warn({ alert: alert.id, status: response.status }, 'alert webhook refused the alert');
          return false;
        }
        this.options.log.warn({ alert: alert.id, status: response.status, attempt }, 'alert webhook failed');
      } catch (error) {
        this.options.log.warn({ alert: alert.id, attempt, err: describeError(error) }, 'alert webhook unreachable');
      }
      if (this.abandoned) return false;
    }
    return false;
  }
}
