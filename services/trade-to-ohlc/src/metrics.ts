import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Every counter and gauge the service exposes on /metrics. */
export interface Metrics {
  tradesIn: Counter<'pair'>;
  candlesOut: Counter<'timeframe' | 'kind'>;
  lateTrades: Counter<'outcome'>;
  rejectedTrades: Counter<'reason'>;
  deadLetters: Counter<'topic' | 'cause'>;
  watermark: Gauge<'pair'>;
  watermarkLag: Gauge<'pair'>;
  idleFlushes: Counter;
  tradesSent: Counter<'source'>;
  replayClock: Gauge<'source'>;
  replayBadRows: Counter<'source'>;
  expansion: Counter<'outcome'>;
  krakenConnected: Gauge;
  krakenConnects: Counter;
  krakenReconnects: Counter<'cause'>;
  krakenMessages: Counter<'kind'>;
  krakenTrades: Counter<'pair'>;
  krakenDuplicates: Counter<'pair'>;
  krakenGaps: Counter<'pair'>;
  krakenBackfilledTrades: Counter<'pair'>;
  krakenBadTrades: Counter<'transport'>;
  krakenRestCalls: Counter<'outcome'>;
  transactions: Counter<'outcome'>;
  commitSeconds: Histogram;
  stateRestores: Counter<'outcome'>;
}

export function createMetrics(registry: Registry): Metrics {
  const registers = [registry];
  const watermark = new Gauge({
    name: 'trade_to_ohlc_watermark_ms',
    help: 'Event-time watermark per pair (epoch ms): windows ending at or before it are closed',
    labelNames: ['pair'],
    registers,
  });
  return {
    tradesIn: new Counter({
      name: 'trade_to_ohlc_trades_in_total',
      help: 'Valid trades consumed by the aggregator',
      labelNames: ['pair'],
      registers,
    }),
    candlesOut: new Counter({
      name: 'trade_to_ohlc_candles_out_total',
      help: 'Candles produced: kind = final (revision 0 with trades), empty (revision 0, no trades) or revision (late trades)',
      labelNames: ['timeframe', 'kind'],
      registers,
    }),
    lateTrades: new Counter({
      name: 'trade_to_ohlc_late_trades_total',
      help: 'Trades for a window already closed: outcome = revised (window re-emitted) or rejected (dead-lettered)',
      labelNames: ['outcome'],
      registers,
    }),
    rejectedTrades: new Counter({
      name: 'trade_to_ohlc_rejected_trades_total',
      help: 'Valid trades the aggregator refused (future, late, too-late); each is dead-lettered',
      labelNames: ['reason'],
      registers,
    }),
    deadLetters: new Counter({
      name: 'trade_to_ohlc_dead_letters_total',
      help: 'Messages sent to a dead-letter topic: cause = schema (undecodable or invalid), refused (by the aggregator) or handler',
      labelNames: ['topic', 'cause'],
      registers,
    }),
    watermark,
    watermarkLag: new Gauge({
      name: 'trade_to_ohlc_watermark_lag_seconds',
      help: 'Wall time minus the event-time watermark per pair: how far behind real time the candles are (large on a replay)',
      labelNames: ['pair'],
      registers,
      async collect() {
        const now = Date.now();
        for (const sample of (await watermark.get()).values) {
          const pair = sample.labels.pair;
          if (pair !== undefined) this.set({ pair: String(pair) }, (now - sample.value) / 1000);
        }
      },
    }),
    idleFlushes: new Counter({
      name: 'trade_to_ohlc_idle_flushes_total',
      help: 'Times FLUSH_ON_IDLE_MS closed open windows',
      registers,
    }),
    tradesSent: new Counter({
      name: 'trade_to_ohlc_trades_sent_total',
      help: 'Trades produced to the trades topic by the ingest',
      labelNames: ['source'],
      registers,
    }),
    replayClock: new Gauge({
      name: 'trade_to_ohlc_replay_clock_ms',
      help: 'Event time of the last trade the ingest sent (epoch ms)',
      labelNames: ['source'],
      registers,
    }),
    replayBadRows: new Counter({
      name: 'trade_to_ohlc_replay_bad_rows_total',
      help: 'Rows of a replay file that were not valid trades',
      labelNames: ['source'],
      registers,
    }),
    expansion: new Counter({
      name: 'trade_to_ohlc_expanded_candles_total',
      help: 'Candles expanded into trades by replay-candles: outcome = exact, no-trades, inflated or vwap-approximate',
      labelNames: ['outcome'],
      registers,
    }),
    krakenConnected: new Gauge({
      name: 'trade_to_ohlc_kraken_connected',
      help: '1 while the Kraken WebSocket is open and subscribed',
      registers,
    }),
    krakenConnects: new Counter({
      name: 'trade_to_ohlc_kraken_connects_total',
      help: 'Kraken WebSocket connections opened',
      registers,
    }),
    krakenReconnects: new Counter({
      name: 'trade_to_ohlc_kraken_reconnects_total',
      help: 'Kraken WebSocket reconnections: cause = closed, error or stale (no message within the staleness limit)',
      labelNames: ['cause'],
      registers,
    }),
    krakenMessages: new Counter({
      name: 'trade_to_ohlc_kraken_messages_total',
      help: 'Kraken WebSocket messages by kind',
      labelNames: ['kind'],
      registers,
    }),
    krakenTrades: new Counter({
      name: 'trade_to_ohlc_kraken_trades_total',
      help: 'Live trades received from Kraken',
      labelNames: ['pair'],
      registers,
    }),
    krakenDuplicates: new Counter({
      name: 'trade_to_ohlc_kraken_duplicate_trades_total',
      help: 'Kraken trades already seen (snapshot after a reconnect), dropped by trade id',
      labelNames: ['pair'],
      registers,
    }),
    krakenGaps: new Counter({
      name: 'trade_to_ohlc_kraken_gaps_total',
      help: 'Gaps in Kraken trade ids seen on the WebSocket',
      labelNames: ['pair'],
      registers,
    }),
    krakenBackfilledTrades: new Counter({
      name: 'trade_to_ohlc_kraken_backfilled_trades_total',
      help: 'Trades fetched from Kraken REST (start-up backfill and gap fills)',
      labelNames: ['pair'],
      registers,
    }),
    krakenBadTrades: new Counter({
      name: 'trade_to_ohlc_kraken_bad_trades_total',
      help: 'Kraken trades or messages not in the documented format',
      labelNames: ['transport'],
      registers,
    }),
    krakenRestCalls: new Counter({
      name: 'trade_to_ohlc_kraken_rest_calls_total',
      help: 'Kraken REST calls by outcome (ok, rate-limited, retry, error)',
      labelNames: ['outcome'],
      registers,
    }),
    transactions: new Counter({
      name: 'trade_to_ohlc_transactions_total',
      help: 'Transactions of the aggregator (candles + dead letters + state + offsets): outcome = committed or aborted',
      labelNames: ['outcome'],
      registers,
    }),
    commitSeconds: new Histogram({
      name: 'trade_to_ohlc_commit_seconds',
      help: 'Time to write and commit one transaction of the aggregator',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    stateRestores: new Counter({
      name: 'trade_to_ohlc_state_restores_total',
      help: 'Trades partitions taken up by the aggregator: outcome = snapshot (restored from the state topic) or empty (no saved state)',
      labelNames: ['outcome'],
      registers,
    }),
  };
}
