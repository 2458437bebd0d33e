import type { Logger } from '@crypto-predict/core';
import type { Config } from '../../config.js';
import type { Metrics } from '../../metrics.js';
import type { TradeSource } from '../replay/trade-source.js';
import type { ConfiguredSource } from '../sources.js';
import { KrakenRestClient } from './kraken-rest.js';
import { krakenTradeStream, sinceNs, type LastTrade } from './kraken-ws.js';

/**
 * SOURCE=kraken: optionally backfills each pair from REST since KRAKEN_BACKFILL_FROM, then
 * streams live trades from the WebSocket, resuming after the last backfilled trade.
 */
export function krakenSource(config: Config, log: Logger, metrics: Metrics, signal: AbortSignal): ConfiguredSource {
  const rest = new KrakenRestClient({
    baseUrl: config.KRAKEN_REST_URL,
    log,
    metrics,
    minIntervalMs: config.KRAKEN_REST_MIN_INTERVAL_MS,
    signal,
  });
  const counts = { backfilled: 0, live: 0 };
  async function* source(): TradeSource {
    const resumeFrom = new Map<string, LastTrade>();
    const backfillFrom = config.KRAKEN_BACKFILL_FROM;
    if (backfillFrom !== undefined) {
      const until = Date.now();
      for (const pair of config.PAIRS) {
        log.info({ pair, from: new Date(backfillFrom).toISOString() }, 'backfilling Kraken trades from REST');
        for await (const batch of rest.backfill(pair, sinceNs(backfillFrom), { untilTimeMs: until })) {
          counts.backfilled += batch.length;
          const newest = batch[batch.length - 1];
          if (newest !== undefined) resumeFrom.set(pair, { tradeId: Number(newest.tradeId), time: newest.time });
          yield batch;
        }
      }
    }
    for await (const batch of krakenTradeStream({
      url: config.KRAKEN_WS_URL,
      pairs: config.PAIRS,
      log,
      metrics,
      signal,
      rest,
      staleAfterMs: config.KRAKEN_STALE_AFTER_MS,
      resumeFrom,
    })) {
      counts.live += batch.length;
      yield batch;
    }
  }
  return { label: 'kraken', source: source(), details: () => ({ ...counts }) };
}
