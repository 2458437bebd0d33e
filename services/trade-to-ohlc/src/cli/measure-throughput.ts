/**
 * Measures the pure aggregator on a real day of trades expanded from Binance candles:
 *   node --import tsx services/trade-to-ohlc/src/cli/measure-throughput.ts [YYYY-MM-DD]
 * Expansion and aggregation are timed apart; the last line of output is one JSON object.
 */
import { performance } from 'node:perf_hooks';
import { CandleAggregator, DEFAULT_AGGREGATOR_OPTIONS } from '../domain/candle-aggregator.js';
import { emptyExpansionStats } from '../adapters/replay/candle-expansion.js';
import { readExpandedCandles } from '../adapters/replay/expanded-candles.js';

const day = process.argv[2] ?? '2024-08-08';
const from = Date.parse(`${day}T00:00:00Z`);
if (Number.isNaN(from)) throw new Error(`not a day: ${day}`);
const to = from + 86_400_000;

const stats = emptyExpansionStats();
const aggregator = new CandleAggregator(DEFAULT_AGGREGATOR_OPTIONS);
let trades = 0;
let candles = 0;
let aggregateMs = 0;
let readAndExpandMs = 0;
let mark = performance.now();
for await (const batch of readExpandedCandles({ from, to, stats })) {
  const started = performance.now();
  readAndExpandMs += started - mark;
  for (const trade of batch) candles += aggregator.add(trade).candles.length;
  trades += batch.length;
  mark = performance.now();
  aggregateMs += mark - started;
}
candles += aggregator.flush().length;

const result = {
  name: 'trade-to-ohlc-aggregate-throughput',
  day,
  trades,
  candles,
  timeframes: DEFAULT_AGGREGATOR_OPTIONS.timeframes,
  aggregateMs: Math.round(aggregateMs),
  aggregateTradesPerSecond: Math.round(trades / (aggregateMs / 1000)),
  readAndExpandMs: Math.round(readAndExpandMs),
  expandTradesPerSecond: Math.round(trades / (readAndExpandMs / 1000)),
  inflatedCandles: stats.inflated,
  vwapApproximateCandles: stats.vwapApproximate,
  node: process.version,
};
console.log(JSON.stringify(result));
