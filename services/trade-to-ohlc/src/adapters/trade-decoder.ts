import { parseMessage, Trade } from '@crypto-predict/core';

const PAIR = /^[A-Z0-9]{2,12}\/[A-Z0-9]{2,12}$/;
const MIN_TIME = 946_684_800_000;
const MAX_TIME = 4_102_444_800_000;
const TRADE_KEYS = Object.keys(Trade.shape).length;
const SOURCES: ReadonlySet<unknown> = new Set(['live', 'backfill', 'replay-ticks', 'replay-expanded']);

/**
 * Decodes a trades-topic message into a Trade. The core `Trade` schema stays the one definition:
 * this is a fast path for the aggregator's hot loop that accepts only what the schema accepts
 * (same checks, written out; a pair is matched once and remembered) and returns the same object
 * the schema would (its known fields only; the parsed object itself when it has no other). Anything
 * the fast path does not accept goes through the schema itself, which decides and gives the reason.
 * Tested against the schema on random input.
 */
export class TradeDecoder {
  private readonly pairs = new Set<string>();
  /** Messages the fast path left to the schema (bad ones, or shapes it does not know). */
  schemaFallbacks = 0;
  /** Why the last message `decode` refused was refused. */
  reason = '';

  /** The trade, or null with the reason in `reason` (no result object: this runs per message). */
  decode(text: string | null): Trade | null {
    if (text === null) return this.refuse(parseMessage(Trade, text));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.refuse(parseMessage(Trade, text));
    }
    const trade = this.fastPath(json);
    if (trade !== null) return trade;
    this.schemaFallbacks += 1;
    const result = Trade.safeParse(json);
    if (result.success) return result.data;
    // Same reason text as the shared consumer gives.
    return this.refuse(parseMessage(Trade, JSON.stringify(json)));
  }

  private refuse(parsed: { ok: true } | { ok: false; reason: string }): null {
    this.reason = parsed.ok ? 'refused' : parsed.reason;
    return null;
  }

  private fastPath(json: unknown): Trade | null {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
    const m = json as Record<string, unknown>;
    const { v, pair, exchange, tradeId, price, qty, side, time, source } = m;
    if (v !== 1) return null;
    if (typeof pair !== 'string' || !this.knownPair(pair)) return null;
    if (typeof exchange !== 'string' || exchange.length === 0) return null;
    if (typeof tradeId !== 'string' || tradeId.length === 0) return null;
    if (!isPositiveFinite(price) || !isPositiveFinite(qty)) return null;
    if (side !== 'buy' && side !== 'sell') return null;
    if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < MIN_TIME || time > MAX_TIME) return null;
    if (!SOURCES.has(source)) return null;
    // The parsed object is the schema's output as it is when it holds no other key: no copy.
    let keys = 0;
    for (const key in m) if (Object.hasOwn(m, key)) keys += 1;
    if (keys === TRADE_KEYS) return m as Trade;
    return { v: 1, pair, exchange, tradeId, price, qty, side, time, source: source as Trade['source'] };
  }

  private knownPair(pair: string): boolean {
    if (this.pairs.has(pair)) return true;
    if (!PAIR.test(pair)) return false;
    // Bounded: a stream of junk pairs must not grow the cache without end.
    if (this.pairs.size < 10_000) this.pairs.add(pair);
    return true;
  }
}

function isPositiveFinite(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value < Number.POSITIVE_INFINITY;
}
