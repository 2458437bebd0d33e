// Benchmark `chaos`: kill -9 the candle aggregator at random moments during a replay and check that
// a read_committed reader of the candles topic still sees every candle exactly once, with the values
// of an uninterrupted run. At least 1M trades expanded from the real Binance 1-minute candles of
// 2024-08-08 (plus late trades that revise candles and undecodable messages that are dead-lettered)
// are pre-produced to a fresh trades topic; trade-to-ohlc's own main.ts runs as a child process
// (ROLE=aggregate, default commit settings) and is SIGKILLed at least 10 times, each time restarted;
// the expected candles are the pure aggregator's output on the same trades.
// The harness is services/trade-to-ohlc/src/test-support/kill-chaos.ts (also used by its tests).
import type { BenchOptions, BenchResult } from '../run.js';
import { testStack } from '@crypto-predict/core/testing';
import { buildChaosData, runChaos } from '../../services/trade-to-ohlc/src/test-support/kill-chaos.js';

export async function run(options: BenchOptions): Promise<BenchResult> {
  const log = (message: string): void => void process.stderr.write(`[chaos] ${message}\n`);
  const minTrades = options.quick ? 200_000 : 1_000_000;
  const kills = options.quick ? 5 : 12;
  log(`expanding at least ${minTrades} trades from the real 2024-08-08 candles`);
  const data = await buildChaosData({
    from: Date.parse('2024-08-08T00:00:00Z'),
    minTrades,
    lateEvery: 49_999,
    badEvery: 99_991,
  });
  const seed = Math.floor(Math.random() * 1_000_000);
  log(`${data.trades} trades, ${data.lateTrades} late, ${data.badMessages} undecodable; ${kills} kills, seed ${seed}`);
  const report = await runChaos({ brokers: testStack().kafkaBrokers, data, kills, seed, startupKillShare: 0.2, log });
  for (const example of report.examples) log(example);
  const {
    examples: _examples,
    kills: done,
    trades,
    candles_expected,
    candles_seen,
    lost,
    duplicated,
    wrong,
    ...more
  } = report;
  return {
    kills: done,
    trades,
    candles_expected,
    candles_seen,
    lost,
    duplicated,
    wrong,
    exactly_once: lost === 0 && duplicated === 0 && wrong === 0,
    ...more,
  };
}
