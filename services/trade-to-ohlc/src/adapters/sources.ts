import { join } from 'node:path';
import { AppError, type Logger } from '@crypto-predict/core';
import { sharedDataDir } from '@crypto-predict/core/market-data';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';
import { emptyExpansionStats } from './replay/candle-expansion.js';
import { readExpandedCandles } from './replay/expanded-candles.js';
import { readGenericCsv } from './replay/generic-csv.js';
import { BINANCE_TICK_CAPTURE, readTickCapture } from './replay/tick-capture.js';
import type { BadRow, ReplayCounters, TradeSource } from './replay/trade-source.js';

export interface ConfiguredSource {
  /** How the trades are labelled in logs and metrics. */
  label: string;
  source: TradeSource;
  details: () => Record<string, unknown>;
}

/** Bad rows are logged one by one up to this many, then only counted. */
const BAD_ROWS_LOGGED = 20;

/** Builds the trade source SOURCE names; null for SOURCE=none. Live sources are built elsewhere. */
export function replaySource(config: Config, log: Logger, metrics: Metrics): ConfiguredSource | null {
  const dataDir = config.CRYPTO_SHARED_DATA ?? sharedDataDir();
  const counters: ReplayCounters = { rows: 0, trades: 0, badRows: 0 };
  const onBadRow = (label: string) => (row: BadRow) => {
    metrics.replayBadRows.inc({ source: label });
    if (counters.badRows <= BAD_ROWS_LOGGED) log.warn(row, 'replay row is not a valid trade, skipped');
  };
  switch (config.SOURCE) {
    case 'none':
    case 'kraken':
      return null;
    case 'replay-candles': {
      const stats = emptyExpansionStats();
      const seen = new Map<string, number>();
      const syncMetric = (outcome: string, value: number): void => {
        const delta = value - (seen.get(outcome) ?? 0);
        if (delta > 0) metrics.expansion.inc({ outcome }, delta);
        seen.set(outcome, value);
      };
      log.info(
        {
          from: new Date(config.REPLAY_FROM).toISOString(),
          to: new Date(config.REPLAY_TO).toISOString(),
          speed: config.REPLAY_SPEED,
        },
        'replaying trades EXPANDED from real Binance 1-minute candles (synthetic trades, source=replay-expanded), not real ticks',
      );
      return {
        label: 'replay-expanded',
        source: readExpandedCandles({ from: config.REPLAY_FROM, to: config.REPLAY_TO, dataDir, stats }),
        details: () => {
          // Keep the expansion counter in step with the stats as the replay goes.
          syncMetric('exact', stats.candles - stats.noTrades - stats.inflated - stats.vwapApproximate);
          syncMetric('no-trades', stats.noTrades);
          syncMetric('inflated', stats.inflated);
          syncMetric('vwap-approximate', stats.vwapApproximate);
          return {
            candles: stats.candles,
            noTradeCandles: stats.noTrades,
            inflatedCandles: stats.inflated,
            vwapApproximateCandles: stats.vwapApproximate,
          };
        },
      };
    }
    case 'replay-ticks': {
      const path = config.REPLAY_FILE ?? join(dataDir, BINANCE_TICK_CAPTURE);
      log.info(
        { path, speed: config.REPLAY_SPEED },
        'replaying recorded Binance ticks (real trades, source=replay-ticks)',
      );
      return {
        label: 'replay-ticks',
        source: readTickCapture({ path, counters, onBadRow: onBadRow('replay-ticks') }),
        details: () => ({ rows: counters.rows, badRows: counters.badRows }),
      };
    }
    case 'replay-csv': {
      const path = config.REPLAY_FILE;
      if (path === undefined) throw new AppError('CONFIG_INVALID', 'SOURCE=replay-csv needs REPLAY_FILE');
      const pair = config.PAIRS[0] ?? 'BTC/USDT';
      log.info({ path, pair, speed: config.REPLAY_SPEED }, 'replaying a generic trade CSV (source=replay-ticks)');
      return {
        label: 'replay-csv',
        source: readGenericCsv({ path, pair, counters, onBadRow: onBadRow('replay-csv') }),
        details: () => ({ rows: counters.rows, badRows: counters.badRows }),
      };
    }
  }
}
