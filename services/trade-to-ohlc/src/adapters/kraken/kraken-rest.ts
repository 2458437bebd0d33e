import { AppError, describeError, type Logger, type Trade } from '@crypto-predict/core';
import type { Metrics } from '../../metrics.js';
import { systemClock, type Clock } from '../replay/replay-pacer.js';
import { KrakenRestTradesResponse, restPairName, tradeFromRest, type KrakenRestTrade } from './kraken-messages.js';

export interface KrakenRestOptions {
  baseUrl: string;
  log: Logger;
  metrics: Metrics;
  clock?: Clock;
  fetch?: typeof fetch;
  /** Kraken's public endpoints allow about one call a second; calls are spaced at least this far. */
  minIntervalMs?: number;
  /** Retries of one call after a rate limit, a 5xx or a network error, before giving up. */
  maxRetries?: number;
  retryBaseMs?: number;
  signal?: AbortSignal;
}

export interface TradesPage {
  trades: Trade[];
  /** Highest trade id on the page, or null when it is empty. */
  lastTradeId: number | null;
  /** Kraken's cursor for the next page: pass it back as `since` (nanoseconds, as a string). */
  last: string;
}

const RATE_LIMIT_ERRORS = /EAPI:Rate limit exceeded|EGeneral:Too many requests/;

/** GET /0/public/Trades with the `since` cursor, call spacing and rate-limit retries. */
export class KrakenRestClient {
  private nextCallAt = 0;

  constructor(private readonly options: KrakenRestOptions) {}

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  /** One page of trades after `since` (a nanosecond timestamp or a previous `last`). */
  async tradesPage(pair: string, since: string | undefined): Promise<TradesPage> {
    const url = new URL('/0/public/Trades', this.options.baseUrl);
    url.searchParams.set('pair', restPairName(pair));
    if (since !== undefined) url.searchParams.set('since', since);
    const body = await this.call(url);
    const result = body.result ?? {};
    let raw: KrakenRestTrade[] = [];
    let last: string | undefined;
    for (const [key, value] of Object.entries(result)) {
      if (key === 'last' && typeof value === 'string') last = value;
      else if (Array.isArray(value)) raw = value;
    }
    if (last === undefined) throw new AppError('UPSTREAM_INVALID', `Kraken Trades for ${pair} has no "last" cursor`);
    const trades: Trade[] = [];
    let lastTradeId: number | null = null;
    for (const row of raw) {
      const parsed = tradeFromRest(pair, row);
      if (!parsed.ok) {
        this.options.metrics.krakenBadTrades.inc({ transport: 'rest' });
        this.options.log.warn({ pair, row, reason: parsed.reason }, 'Kraken REST trade is not a valid trade, skipped');
        continue;
      }
      trades.push(parsed.trade);
      if (lastTradeId === null || parsed.tradeId > lastTradeId) lastTradeId = parsed.tradeId;
    }
    return { trades, lastTradeId, last };
  }

  /**
   * Pages through a pair's trades from `sinceNs` (exclusive) until a trade id reaches
   * `untilTradeId` or a trade's time reaches `untilTimeMs` (both exclusive), or the history
   * runs out. Trades with ids at or below `afterTradeId` are skipped (already seen).
   */
  async *backfill(
    pair: string,
    sinceNs: string,
    bounds: { afterTradeId?: number; untilTradeId?: number; untilTimeMs?: number } = {},
  ): AsyncGenerator<Trade[]> {
    let cursor = sinceNs;
    let seen = bounds.afterTradeId ?? Number.NEGATIVE_INFINITY;
    for (;;) {
      const page = await this.tradesPage(pair, cursor);
      const fresh: Trade[] = [];
      let done = page.trades.length === 0 || page.last === cursor;
      for (const trade of page.trades) {
        const id = Number(trade.tradeId);
        if (bounds.untilTradeId !== undefined && id >= bounds.untilTradeId) done = true;
        else if (bounds.untilTimeMs !== undefined && trade.time >= bounds.untilTimeMs) done = true;
        else if (id > seen) {
          fresh.push(trade);
          seen = id;
        }
      }
      if (fresh.length > 0) {
        this.options.metrics.krakenBackfilledTrades.inc({ pair }, fresh.length);
        yield fresh;
      }
      if (done) return;
      cursor = page.last;
    }
  }

  private async call(url: URL): Promise<KrakenRestTradesResponseType> {
    const maxRetries = this.options.maxRetries ?? 8;
    const base = this.options.retryBaseMs ?? 1_000;
    for (let attempt = 0; ; attempt += 1) {
      await this.space();
      let retryAfterMs: number | undefined;
      let failure: AppError;
      try {
        const response = await (this.options.fetch ?? fetch)(url, {
          signal: this.options.signal ?? null,
          headers: { accept: 'application/json' },
        });
        const text = await response.text();
        if (response.status === 429) {
          retryAfterMs = retryAfter(response.headers.get('retry-after'));
          failure = new AppError('RATE_LIMITED', 'Kraken answered 429');
        } else if (response.status >= 500) {
          failure = new AppError('UPSTREAM_UNAVAILABLE', `Kraken answered ${response.status}`);
        } else {
          const parsed = KrakenRestTradesResponse.safeParse(safeJson(text));
          if (!parsed.success)
            throw new AppError(
              'UPSTREAM_INVALID',
              `Kraken Trades answer is not in the documented format (HTTP ${response.status}): ${text.slice(0, 200)}`,
            );
          const errors = parsed.data.error;
          if (errors.length === 0) {
            this.options.metrics.krakenRestCalls.inc({ outcome: 'ok' });
            return parsed.data;
          }
          if (!errors.some((e) => RATE_LIMIT_ERRORS.test(e))) {
            this.options.metrics.krakenRestCalls.inc({ outcome: 'error' });
            throw new AppError('UPSTREAM_INVALID', `Kraken refused ${url.pathname}: ${errors.join(', ')}`, {
              retryable: false,
            });
          }
          failure = new AppError('RATE_LIMITED', `Kraken: ${errors.join(', ')}`);
        }
      } catch (error) {
        if (error instanceof AppError && !error.retryable) throw error;
        if (this.options.signal?.aborted === true) throw error;
        failure = AppError.from(error, 'UPSTREAM_UNAVAILABLE', `Kraken ${url.pathname} unreachable`);
      }
      const outcome = failure.code === 'RATE_LIMITED' ? 'rate-limited' : 'retry';
      this.options.metrics.krakenRestCalls.inc({ outcome });
      if (attempt >= maxRetries)
        throw new AppError(failure.code, `${failure.message} (gave up after ${attempt + 1} calls)`, { cause: failure });
      const delay = retryAfterMs ?? Math.min(30_000, base * 2 ** attempt);
      this.options.log.warn({ err: describeError(failure), attempt, delay }, 'Kraken REST call failed, retrying');
      // Rate limits are per client: the next call of any kind waits too.
      this.nextCallAt = Math.max(this.nextCallAt, this.clock.now() + delay);
    }
  }

  private async space(): Promise<void> {
    const wait = this.nextCallAt - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait, this.options.signal);
    this.nextCallAt = this.clock.now() + (this.options.minIntervalMs ?? 1_000);
  }
}

type KrakenRestTradesResponseType = ReturnType<typeof KrakenRestTradesResponse.parse>;

function retryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
