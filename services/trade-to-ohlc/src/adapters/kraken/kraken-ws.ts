import WebSocket from 'ws';
import { describeError, type Logger, type Trade } from '@crypto-predict/core';
import type { Metrics } from '../../metrics.js';
import { systemClock, type Clock } from '../replay/replay-pacer.js';
import type { TradeSource } from '../replay/trade-source.js';
import { KrakenWsMessage, subscribeRequest, tradeFromWs, type KrakenWsTrade } from './kraken-messages.js';
import type { KrakenRestClient } from './kraken-rest.js';

export interface LastTrade {
  tradeId: number;
  time: number;
}

export interface KrakenStreamOptions {
  url: string;
  pairs: readonly string[];
  log: Logger;
  metrics: Metrics;
  signal: AbortSignal;
  /** Fills gaps in trade ids (missed while disconnected) from REST; without it gaps are only counted. */
  rest?: KrakenRestClient;
  /** Kraken sends a heartbeat every second once subscribed; silence this long means a dead link. */
  staleAfterMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  random?: () => number;
  clock?: Clock;
  /** The last trade already delivered per pair (after a start-up backfill), so nothing repeats. */
  resumeFrom?: ReadonlyMap<string, LastTrade>;
}

type Cause = 'closed' | 'error' | 'stale' | 'aborted';

/**
 * Live trades from Kraken's WebSocket API v2 `trade` channel. Subscribes (with a snapshot of
 * the last 50 trades) on every connection, reconnects with capped exponential backoff and jitter,
 * treats a silent connection as dead, drops trades it has already delivered (by trade id), and
 * when trade ids skip (trades missed while reconnecting) fetches the missing ones from REST
 * before going on, so the stream has no holes and no repeats.
 */
export function krakenTradeStream(options: KrakenStreamOptions): TradeSource {
  return new KrakenTradeStream(options).trades();
}

class KrakenTradeStream {
  private readonly queue: Trade[][] = [];
  private wake: (() => void) | null = null;
  private finished = false;
  private readonly last = new Map<string, LastTrade>();
  private chain: Promise<void> = Promise.resolve();
  private reqId = 0;

  constructor(private readonly options: KrakenStreamOptions) {
    for (const [pair, last] of options.resumeFrom ?? []) this.last.set(pair, last);
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  async *trades(): TradeSource {
    void this.run();
    for (;;) {
      const batch = this.queue.shift();
      if (batch !== undefined) {
        yield batch;
        continue;
      }
      if (this.finished) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private push(batch: Trade[]): void {
    if (batch.length === 0) return;
    this.queue.push(batch);
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async run(): Promise<void> {
    const { signal, log, metrics } = this.options;
    const backoff = this.options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    const random = this.options.random ?? Math.random;
    let attempt = 0;
    try {
      while (!signal.aborted) {
        const outcome = await this.connectOnce();
        await this.chain;
        if (signal.aborted) break;
        if (outcome.subscribed) attempt = 0;
        const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
        const delay = Math.round(ceiling * (0.5 + random() / 2));
        attempt += 1;
        metrics.krakenReconnects.inc({ cause: outcome.cause });
        log.warn({ cause: outcome.cause, attempt, delay }, 'Kraken WebSocket lost, reconnecting');
        await this.clock.sleep(delay, signal);
      }
    } catch (error) {
      if (!signal.aborted) log.error({ err: describeError(error) }, 'Kraken stream failed');
    } finally {
      this.finished = true;
      this.wakeUp();
    }
  }

  private connectOnce(): Promise<{ subscribed: boolean; cause: Cause }> {
    const { url, pairs, signal, log, metrics } = this.options;
    const staleAfterMs = this.options.staleAfterMs ?? 15_000;
    return new Promise((resolve) => {
      const connection = { subscribed: false };
      let cause: Cause = 'closed';
      let lastMessageAt = this.clock.now();
      const ws = new WebSocket(url);
      const staleTimer = setInterval(
        () => {
          if (this.clock.now() - lastMessageAt <= staleAfterMs) return;
          cause = 'stale';
          log.warn({ silentMs: this.clock.now() - lastMessageAt }, 'Kraken WebSocket went silent');
          ws.terminate();
        },
        Math.max(20, Math.floor(staleAfterMs / 4)),
      );
      const onAbort = (): void => {
        cause = 'aborted';
        ws.close();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      ws.on('open', () => {
        metrics.krakenConnects.inc();
        lastMessageAt = this.clock.now();
        this.reqId += 1;
        ws.send(subscribeRequest(pairs, this.reqId));
        log.info({ url, pairs }, 'Kraken WebSocket open, subscribing to trades');
      });
      ws.on('message', (data: WebSocket.RawData) => {
        lastMessageAt = this.clock.now();
        const text = Buffer.isBuffer(data)
          ? data.toString('utf8')
          : Array.isArray(data)
            ? Buffer.concat(data).toString('utf8')
            : Buffer.from(data).toString('utf8');
        this.chain = this.chain
          .then(() => this.onMessage(text, connection))
          .catch((error: unknown) => log.error({ err: describeError(error) }, 'Kraken message handling failed'));
      });
      ws.on('error', (error: Error) => {
        if (cause !== 'stale' && cause !== 'aborted') cause = 'error';
        log.warn({ err: describeError(error) }, 'Kraken WebSocket error');
      });
      ws.on('close', () => {
        clearInterval(staleTimer);
        signal.removeEventListener('abort', onAbort);
        metrics.krakenConnected.set(0);
        resolve({ subscribed: connection.subscribed, cause });
      });
    });
  }

  private async onMessage(text: string, connection: { subscribed: boolean }): Promise<void> {
    const { log, metrics } = this.options;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = KrakenWsMessage.safeParse(json);
    if (!parsed.success) {
      metrics.krakenMessages.inc({ kind: 'unknown' });
      metrics.krakenBadTrades.inc({ transport: 'ws' });
      log.warn({ message: text.slice(0, 300) }, 'Kraken message not in the documented v2 format, skipped');
      return;
    }
    const message = parsed.data;
    if ('channel' in message) {
      if (message.channel === 'trade') {
        metrics.krakenMessages.inc({ kind: `trade-${message.type}` });
        await this.onTrades(message.data);
      } else {
        metrics.krakenMessages.inc({ kind: message.channel });
      }
      return;
    }
    metrics.krakenMessages.inc({ kind: message.method });
    if (message.method !== 'subscribe') return;
    if (message.success === true) {
      connection.subscribed = true;
      metrics.krakenConnected.set(1);
      log.info({ result: message.result }, 'subscribed to Kraken trades');
    } else {
      log.error({ error: message.error, result: message.result }, 'Kraken refused the trade subscription');
    }
  }

  private async onTrades(data: readonly KrakenWsTrade[]): Promise<void> {
    const { log, metrics, rest } = this.options;
    const bySymbol = new Map<string, KrakenWsTrade[]>();
    for (const raw of data) {
      const list = bySymbol.get(raw.symbol) ?? [];
      list.push(raw);
      bySymbol.set(raw.symbol, list);
    }
    for (const [symbol, raws] of bySymbol) {
      // Snapshots are not promised to be oldest-first; ids are a per-book sequence.
      raws.sort((a, b) => a.trade_id - b.trade_id);
      let out: Trade[] = [];
      for (const raw of raws) {
        const parsed = tradeFromWs(raw);
        if (!parsed.ok) {
          metrics.krakenBadTrades.inc({ transport: 'ws' });
          log.warn({ raw, reason: parsed.reason }, 'Kraken trade is not a valid trade, skipped');
          continue;
        }
        const last = this.last.get(symbol);
        if (last !== undefined && parsed.tradeId <= last.tradeId) {
          metrics.krakenDuplicates.inc({ pair: symbol });
          continue;
        }
        if (last !== undefined && parsed.tradeId > last.tradeId + 1) {
          metrics.krakenGaps.inc({ pair: symbol });
          log.warn(
            { pair: symbol, after: last.tradeId, next: parsed.tradeId, missing: parsed.tradeId - last.tradeId - 1 },
            'gap in Kraken trade ids',
          );
          if (rest !== undefined) {
            this.push(out);
            out = [];
            await this.fillGap(rest, symbol, last, parsed.tradeId);
          }
        }
        out.push(parsed.trade);
        metrics.krakenTrades.inc({ pair: symbol });
        this.last.set(symbol, { tradeId: parsed.tradeId, time: parsed.trade.time });
      }
      this.push(out);
    }
  }

  private async fillGap(rest: KrakenRestClient, pair: string, last: LastTrade, untilTradeId: number): Promise<void> {
    let filled = 0;
    try {
      for await (const batch of rest.backfill(pair, sinceNs(last.time), { afterTradeId: last.tradeId, untilTradeId })) {
        this.push(batch);
        filled += batch.length;
        const newest = batch[batch.length - 1];
        if (newest !== undefined) this.last.set(pair, { tradeId: Number(newest.tradeId), time: newest.time });
      }
      this.options.log.info({ pair, filled, expected: untilTradeId - last.tradeId - 1 }, 'Kraken gap filled from REST');
    } catch (error) {
      this.options.log.error(
        { pair, err: describeError(error), filled },
        'could not fill a Kraken gap from REST; going on with the gap',
      );
    }
  }
}

/** Kraken's REST `since` in nanoseconds, a millisecond before `timeMs` so that ms is included. */
export function sinceNs(timeMs: number): string {
  return (BigInt(Math.max(0, timeMs - 1)) * 1_000_000n).toString();
}
