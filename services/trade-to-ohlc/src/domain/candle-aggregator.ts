import { AppError, emptyCandle, timeframeMs, type Candle, type Timeframe, type Trade } from '@crypto-predict/core';
import { AggregatorSnapshot, type MinuteSlot, type PairSnapshot } from './aggregator-snapshot.js';
import { addTrade, mergeStats, statsOfTrade, vwapOf, type WindowStats } from './window-stats.js';

const MINUTE_MS = 60_000;

/**
 * What happens to a trade whose 1-minute window has already been emitted:
 * - `revise`: the window (and every higher-timeframe window holding it that was emitted) is
 *   emitted again with `revision + 1`;
 * - `reject`: the trade is refused with reason `late` (the service dead-letters it).
 * Either way the trade is counted; a trade older than `maxLatenessMs` behind the watermark is
 * refused as `too-late` whatever the policy, because its window is no longer kept.
 */
export type LateTradePolicy = 'revise' | 'reject';

export interface AggregatorOptions {
  /** Timeframes to emit, each a whole number of minutes (1m, 5m, 15m, 1h, 1d...). */
  timeframes: readonly Timeframe[];
  /** The watermark trails the latest event time seen for a pair by this much. */
  graceMs: number;
  lateTradePolicy: LateTradePolicy;
  /** How far behind the watermark a late trade may be and still revise its window. */
  maxLatenessMs: number;
  /** A trade stamped later than this after it was received is refused as `future`. */
  maxFutureSkewMs: number;
}

export const DEFAULT_AGGREGATOR_OPTIONS: AggregatorOptions = {
  timeframes: ['1m', '5m', '15m', '1h'],
  graceMs: 2_000,
  lateTradePolicy: 'revise',
  maxLatenessMs: 3_600_000,
  maxFutureSkewMs: 300_000,
};

export type RejectReason = 'future' | 'late' | 'too-late';

export type TradeOutcome =
  | { status: 'on-time'; candles: readonly Candle[] }
  /** The trade was late and revised windows already emitted; `candles` holds the revisions. */
  | { status: 'revised'; candles: readonly Candle[] }
  | { status: 'rejected'; reason: RejectReason; message: string; candles: readonly Candle[] };

/** The outcome of most trades, shared: the hot path allocates nothing for them. */
const ON_TIME_NOTHING: TradeOutcome = Object.freeze({ status: 'on-time', candles: Object.freeze([]) });

interface PairState {
  /** The latest event time seen. */
  maxEventTime: number;
  /** Windows ending at or before the watermark are closed. Never goes back. */
  watermark: number;
  /** Open time of the earliest 1-minute window not closed yet. */
  nextClose: number;
  /** Close of the latest closed minute: what an empty window carries. */
  lastClose: number | null;
  /** Open 1-minute windows, and closed ones kept so late trades can revise them. */
  minutes: Map<number, MinuteSlot>;
  /** For each higher timeframe, the revision last emitted for each window still kept. */
  higherRevisions: Map<Timeframe, Map<number, number>>;
}

interface HigherTimeframe {
  timeframe: Timeframe;
  ms: number;
}

/**
 * Event-time tumbling windows over trades, keyed by pair. Trades are bucketed into 1-minute
 * windows; every higher timeframe is built from the closed 1-minute windows, so a 5m, 15m or 1h
 * candle is by construction the aggregate of its 1-minute candles.
 *
 * A pair's watermark is its latest event time minus the grace period. A window closes when the
 * watermark reaches its end, and is then emitted once with revision 0; windows the watermark
 * jumps over with no trades are emitted as empty candles carrying the previous close. A pair's
 * series starts at the window of its first trade.
 *
 * Pure and deterministic: the output depends only on the trades and the order they are added in,
 * and `snapshot()` / `CandleAggregator.restore()` carry the whole state across a restart.
 */
export class CandleAggregator {
  private readonly pairs = new Map<string, PairState>();
  private readonly emitMinute: boolean;
  private readonly higher: readonly HigherTimeframe[];
  private readonly retentionMs: number;

  constructor(readonly options: AggregatorOptions = DEFAULT_AGGREGATOR_OPTIONS) {
    const problems: string[] = [];
    for (const timeframe of options.timeframes) {
      const ms = timeframeMs(timeframe);
      if (!Number.isFinite(ms) || ms <= 0 || ms % MINUTE_MS !== 0)
        problems.push(`timeframe ${timeframe} is not a whole number of minutes`);
    }
    if (options.timeframes.length === 0) problems.push('no timeframe to emit');
    if (!(options.graceMs >= 0)) problems.push('graceMs must be >= 0');
    if (!(options.maxLatenessMs >= 0)) problems.push('maxLatenessMs must be >= 0');
    if (!(options.maxFutureSkewMs >= 0)) problems.push('maxFutureSkewMs must be >= 0');
    if (problems.length > 0) throw new AppError('CONFIG_INVALID', `candle aggregator: ${problems.join('; ')}`);

    this.emitMinute = options.timeframes.some((timeframe) => timeframeMs(timeframe) === MINUTE_MS);
    const seen = new Set<number>([MINUTE_MS]);
    const higher: HigherTimeframe[] = [];
    for (const timeframe of options.timeframes) {
      const ms = timeframeMs(timeframe);
      if (seen.has(ms)) continue;
      seen.add(ms);
      higher.push({ timeframe, ms });
    }
    this.higher = higher.sort((a, b) => a.ms - b.ms);
    const largest = Math.max(MINUTE_MS, ...this.higher.map((h) => h.ms));
    // A late trade may revise a 1h window, which needs all of that hour's minutes.
    this.retentionMs = Math.ceil(options.maxLatenessMs / MINUTE_MS) * MINUTE_MS + largest + MINUTE_MS;
  }

  /**
   * Adds one trade. `receivedAt` is when the trade entered the system (the Kafka message
   * timestamp): it is data, not a clock, so a replay of the same messages gives the same output.
   */
  add(trade: Trade, receivedAt?: number): TradeOutcome {
    if (receivedAt !== undefined && trade.time > receivedAt + this.options.maxFutureSkewMs) {
      return reject(
        'future',
        `trade ${trade.tradeId} is stamped ${trade.time - receivedAt} ms after it was received (max skew ${this.options.maxFutureSkewMs} ms)`,
      );
    }
    const minute = floorTo(trade.time, MINUTE_MS);
    const state = this.pairs.get(trade.pair);
    if (state === undefined) {
      this.pairs.set(trade.pair, {
        maxEventTime: trade.time,
        watermark: trade.time - this.options.graceMs,
        nextClose: minute,
        lastClose: null,
        minutes: new Map([[minute, { stats: statsOfTrade(trade), carry: null, revision: 0 }]]),
        higherRevisions: new Map(this.higher.map((h) => [h.timeframe, new Map<number, number>()])),
      });
      return ON_TIME_NOTHING;
    }
    if (minute + MINUTE_MS <= state.watermark) return this.addLate(trade, state, minute);

    const slot = state.minutes.get(minute);
    if (slot === undefined) state.minutes.set(minute, { stats: statsOfTrade(trade), carry: null, revision: 0 });
    else if (slot.stats === null) slot.stats = statsOfTrade(trade);
    else addTrade(slot.stats, trade);
    // Only before the pair's first window closes can an on-time trade precede nextClose.
    if (minute < state.nextClose) state.nextClose = minute;
    if (trade.time > state.maxEventTime) state.maxEventTime = trade.time;
    const to = state.maxEventTime - this.options.graceMs;
    // Nothing closes unless the watermark passes the end of the earliest open minute.
    if (to < state.nextClose + MINUTE_MS) {
      if (to > state.watermark) state.watermark = to;
      return ON_TIME_NOTHING;
    }
    const candles: Candle[] = [];
    this.advance(trade.pair, state, to, candles);
    return { status: 'on-time', candles };
  }

  /**
   * Closes every window of a pair (every pair if none is given) that holds trades, as if the
   * watermark had reached the end of the latest trade's minute. For the end of a finite replay
   * and for idle sources; a trade that later arrives for a flushed window is late.
   */
  flush(pair?: string): Candle[] {
    const candles: Candle[] = [];
    for (const [name, state] of this.pairs) {
      if (pair !== undefined && name !== pair) continue;
      this.advance(name, state, floorTo(state.maxEventTime, MINUTE_MS) + MINUTE_MS, candles);
    }
    return candles;
  }

  /** Whether some pair has trades in a window that has not closed yet. */
  hasOpenWindows(): boolean {
    for (const state of this.pairs.values()) {
      if (floorTo(state.maxEventTime, MINUTE_MS) >= state.nextClose) return true;
    }
    return false;
  }

  /** The event-time watermark of a pair, or undefined before its first trade. */
  watermark(pair: string): number | undefined {
    return this.pairs.get(pair)?.watermark;
  }

  pairNames(): string[] {
    return [...this.pairs.keys()];
  }

  /** The whole state as plain JSON data. */
  snapshot(): AggregatorSnapshot {
    const pairs: PairSnapshot[] = [];
    for (const [pair, state] of this.pairs) {
      pairs.push({
        pair,
        maxEventTime: state.maxEventTime,
        watermark: state.watermark,
        nextClose: state.nextClose,
        lastClose: state.lastClose,
        minutes: [...state.minutes.entries()]
          .sort(([a], [b]) => a - b)
          .map(([openTime, slot]) => ({
            openTime,
            stats: slot.stats === null ? null : { ...slot.stats },
            carry: slot.carry,
            revision: slot.revision,
          })),
        higherRevisions: [...state.higherRevisions.entries()].map(([timeframe, revisions]) => ({
          timeframe,
          windows: [...revisions.entries()]
            .sort(([a], [b]) => a - b)
            .map(([openTime, revision]) => ({ openTime, revision })),
        })),
      });
    }
    return { v: 1, pairs };
  }

  /** Rebuilds an aggregator from a snapshot (parsed here, since it comes from storage). */
  static restore(options: AggregatorOptions, snapshot: unknown): CandleAggregator {
    const parsed = AggregatorSnapshot.safeParse(snapshot);
    if (!parsed.success)
      throw new AppError('MESSAGE_INVALID', `aggregator snapshot is invalid: ${parsed.error.message}`);
    const aggregator = new CandleAggregator(options);
    for (const pair of parsed.data.pairs) {
      const higherRevisions = new Map<Timeframe, Map<number, number>>(
        aggregator.higher.map((h) => [h.timeframe, new Map<number, number>()]),
      );
      for (const entry of pair.higherRevisions) {
        const target = higherRevisions.get(entry.timeframe);
        if (target === undefined) continue;
        for (const window of entry.windows) target.set(window.openTime, window.revision);
      }
      aggregator.pairs.set(pair.pair, {
        maxEventTime: pair.maxEventTime,
        watermark: pair.watermark,
        nextClose: pair.nextClose,
        lastClose: pair.lastClose,
        minutes: new Map(
          pair.minutes.map((m) => [
            m.openTime,
            { stats: m.stats === null ? null : { ...m.stats }, carry: m.carry, revision: m.revision },
          ]),
        ),
        higherRevisions,
      });
    }
    return aggregator;
  }

  private addLate(trade: Trade, state: PairState, minute: number): TradeOutcome {
    const slot = state.minutes.get(minute);
    if (trade.time < state.watermark - this.options.maxLatenessMs || slot === undefined) {
      return reject(
        'too-late',
        `trade ${trade.tradeId} at ${iso(trade.time)} is for a window no longer kept (watermark ${iso(state.watermark)}, max lateness ${this.options.maxLatenessMs} ms, series starts ${iso(firstMinute(state))})`,
      );
    }
    if (this.options.lateTradePolicy === 'reject') {
      return reject(
        'late',
        `trade ${trade.tradeId} at ${iso(trade.time)} is for window ${iso(minute)}, already closed (watermark ${iso(state.watermark)})`,
      );
    }
    if (slot.stats === null) slot.stats = statsOfTrade(trade);
    else addTrade(slot.stats, trade);
    slot.revision += 1;
    const candles: Candle[] = [];
    const changed = [minute];
    if (this.emitMinute) candles.push(this.minuteCandle(trade.pair, minute, slot));

    // Empty windows after it carried the old close; they carry the new one now.
    const previousClose = slot.stats.close;
    for (let t = minute + MINUTE_MS; t < state.nextClose; t += MINUTE_MS) {
      const next = state.minutes.get(t);
      if (next === undefined || next.carry === previousClose) break;
      next.carry = previousClose;
      if (next.stats !== null) break;
      next.revision += 1;
      changed.push(t);
      if (this.emitMinute) candles.push(this.minuteCandle(trade.pair, t, next));
    }
    const last = state.minutes.get(state.nextClose - MINUTE_MS);
    if (last !== undefined) state.lastClose = last.stats?.close ?? last.carry;

    for (const { timeframe, ms } of this.higher) {
      const revisions = state.higherRevisions.get(timeframe);
      if (revisions === undefined) continue;
      const starts = [...new Set(changed.map((t) => floorTo(t, ms)))];
      for (const start of starts) {
        if (start + ms > state.nextClose) continue; // still open: it will be emitted whole
        const revision = (revisions.get(start) ?? -1) + 1;
        const candle = this.higherCandle(trade.pair, state, timeframe, ms, start, revision);
        if (candle === null) continue;
        revisions.set(start, revision);
        candles.push(candle);
      }
    }
    return { status: 'revised', candles };
  }

  /** Moves a pair's watermark forward to `to` and emits every window it closes, in time order. */
  private advance(pair: string, state: PairState, to: number, out: Candle[]): void {
    if (to > state.watermark) state.watermark = to;
    let closed = false;
    while (state.nextClose + MINUTE_MS <= state.watermark) {
      const minute = state.nextClose;
      let slot = state.minutes.get(minute);
      if (slot === undefined) {
        slot = { stats: null, carry: state.lastClose, revision: 0 };
        state.minutes.set(minute, slot);
      } else {
        slot.carry = state.lastClose;
      }
      if (this.emitMinute && (slot.stats !== null || slot.carry !== null))
        out.push(this.minuteCandle(pair, minute, slot));
      state.lastClose = slot.stats?.close ?? slot.carry;
      state.nextClose = minute + MINUTE_MS;
      closed = true;
      for (const { timeframe, ms } of this.higher) {
        if (state.nextClose % ms !== 0) continue;
        const start = state.nextClose - ms;
        const candle = this.higherCandle(pair, state, timeframe, ms, start, 0);
        if (candle === null) continue;
        state.higherRevisions.get(timeframe)?.set(start, 0);
        out.push(candle);
      }
    }
    if (closed) this.prune(state);
  }

  private prune(state: PairState): void {
    const keepFrom = state.nextClose - this.retentionMs;
    for (const openTime of state.minutes.keys()) if (openTime < keepFrom) state.minutes.delete(openTime);
    for (const revisions of state.higherRevisions.values()) {
      for (const openTime of revisions.keys()) if (openTime < keepFrom) revisions.delete(openTime);
    }
  }

  private minuteCandle(pair: string, openTime: number, slot: MinuteSlot): Candle {
    return toCandle(pair, '1m', openTime, MINUTE_MS, slot.stats, slot.carry ?? Number.NaN, slot.revision);
  }

  /** A higher-timeframe candle from the 1-minute windows it spans, or null if it has none. */
  private higherCandle(
    pair: string,
    state: PairState,
    timeframe: Timeframe,
    ms: number,
    start: number,
    revision: number,
  ): Candle | null {
    let stats: WindowStats | null = null;
    let carry: number | null = null;
    let any = false;
    for (let t = start; t < start + ms; t += MINUTE_MS) {
      const slot = state.minutes.get(t);
      if (slot === undefined) continue;
      any = true;
      if (slot.stats === null) {
        carry ??= slot.carry;
        continue;
      }
      stats = stats === null ? { ...slot.stats } : mergeStats(stats, slot.stats);
    }
    if (!any || (stats === null && carry === null)) return null;
    return toCandle(pair, timeframe, start, ms, stats, carry ?? Number.NaN, revision);
  }
}

function toCandle(
  pair: string,
  timeframe: Timeframe,
  openTime: number,
  ms: number,
  stats: WindowStats | null,
  carry: number,
  revision: number,
): Candle {
  if (stats === null) {
    return emptyCandle({ pair, timeframe, openTime, closeTime: openTime + ms, previousClose: carry, revision });
  }
  return {
    v: 1,
    pair,
    timeframe,
    openTime,
    closeTime: openTime + ms,
    open: stats.open,
    high: stats.high,
    low: stats.low,
    close: stats.close,
    volume: stats.volume,
    vwap: vwapOf(stats),
    trades: stats.trades,
    buyVolume: stats.buyVolume,
    sellVolume: stats.sellVolume,
    empty: false,
    revision,
  };
}

function reject(reason: RejectReason, message: string): TradeOutcome {
  return { status: 'rejected', reason, message, candles: [] };
}

function floorTo(time: number, ms: number): number {
  return Math.floor(time / ms) * ms;
}

function firstMinute(state: PairState): number {
  let first = state.nextClose;
  for (const openTime of state.minutes.keys()) if (openTime < first) first = openTime;
  return first;
}

function iso(time: number): string {
  return Number.isFinite(time) ? new Date(time).toISOString() : String(time);
}
