import { z } from 'zod';
import { Trade } from '@crypto-predict/core';

/**
 * Kraken's public formats, as documented for WebSocket API v2 (wss://ws.kraken.com/v2, channel
 * `trade`) and REST (GET /0/public/Trades). Parsed here, once; the rest of the service sees Trades.
 */

/** One trade of a v2 `trade` message: taker side, RFC 3339 timestamp with microseconds. */
export const KrakenWsTrade = z.object({
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  price: z.number(),
  qty: z.number(),
  ord_type: z.string().optional(),
  /** A sequence number, unique per book: consecutive trades of a symbol have consecutive ids. */
  trade_id: z.number().int(),
  timestamp: z.string(),
});
export type KrakenWsTrade = z.infer<typeof KrakenWsTrade>;

export const KrakenWsMessage = z.union([
  z.object({ channel: z.literal('trade'), type: z.enum(['snapshot', 'update']), data: z.array(KrakenWsTrade) }),
  z.object({ channel: z.literal('heartbeat') }),
  z.object({
    channel: z.literal('status'),
    type: z.string().optional(),
    data: z.array(z.record(z.string(), z.unknown())).optional(),
  }),
  z.object({
    method: z.enum(['subscribe', 'unsubscribe', 'pong']),
    success: z.boolean().optional(),
    error: z.string().optional(),
    result: z.record(z.string(), z.unknown()).optional(),
    req_id: z.number().int().optional(),
  }),
]);
export type KrakenWsMessage = z.infer<typeof KrakenWsMessage>;

export function subscribeRequest(pairs: readonly string[], reqId: number): string {
  return JSON.stringify({
    method: 'subscribe',
    params: { channel: 'trade', symbol: pairs, snapshot: true },
    req_id: reqId,
  });
}

export type ParsedTrade = { ok: true; trade: Trade; tradeId: number } | { ok: false; reason: string };

/** A v2 WebSocket trade as a Trade (time truncated to the millisecond). */
export function tradeFromWs(raw: KrakenWsTrade, source: Trade['source'] = 'live'): ParsedTrade {
  return toTrade(raw.symbol, raw.trade_id, raw.price, raw.qty, raw.side, Date.parse(raw.timestamp), source);
}

/** REST: [price, volume, time (s, float), side b|s, order type m|l, misc, trade_id]. */
export const KrakenRestTrade = z.tuple([
  z.string(),
  z.string(),
  z.number(),
  z.enum(['b', 's']),
  z.string(),
  z.string(),
  z.number().int(),
]);
export type KrakenRestTrade = z.infer<typeof KrakenRestTrade>;

export const KrakenRestTradesResponse = z.object({
  error: z.array(z.string()),
  result: z.record(z.string(), z.union([z.array(KrakenRestTrade), z.string()])).optional(),
});

export function tradeFromRest(pair: string, raw: KrakenRestTrade): ParsedTrade {
  const [price, volume, seconds, side, , , tradeId] = raw;
  // Round to the microsecond first: 1723161255.342 * 1000 is 1723161255341.9998 in binary.
  const time = Math.floor(Math.round(seconds * 1e6) / 1e3);
  return toTrade(pair, tradeId, Number(price), Number(volume), side === 'b' ? 'buy' : 'sell', time, 'backfill');
}

function toTrade(
  pair: string,
  tradeId: number,
  price: number,
  qty: number,
  side: 'buy' | 'sell',
  time: number,
  source: Trade['source'],
): ParsedTrade {
  const parsed = Trade.safeParse({
    v: 1,
    pair,
    exchange: 'kraken',
    tradeId: String(tradeId),
    price,
    qty,
    side,
    time,
    source,
  });
  if (parsed.success) return { ok: true, trade: parsed.data, tradeId };
  return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

const REST_BASE_NAMES: Record<string, string> = { BTC: 'XBT', DOGE: 'XDG' };

/** The REST name of a pair: BTC/USDT → XBTUSDT, BTC/USD → XBTUSD. */
export function restPairName(pair: string): string {
  const [base = '', quote = ''] = pair.split('/');
  return `${REST_BASE_NAMES[base] ?? base}${quote}`;
}
