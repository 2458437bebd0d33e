// Benchmark `indicators`: ns per 1-minute candle for the whole default feature set of
// technical-indicators (config/features.default.json) updated incrementally by the FeatureEngine
// the service runs, against a naive streaming user of TA-Lib who, for every new candle, calls each
// TA-Lib function of that set on the last lookback+1 candles and keeps the last value. Also checks
// the engine's outputs against TA-Lib over the whole history (the repo's test oracle).
import { cpus, loadavg } from 'node:os';
import { emptyCandle, type Candle } from '@crypto-predict/core';
import { readBinanceCandles } from '@crypto-predict/core/market-data';
import type { BenchOptions, BenchResult } from '../run.js';
import { loadFeatureSet } from '../../services/technical-indicators/src/adapters/feature-config-file.js';
import type { FeatureDefinition } from '../../services/technical-indicators/src/domain/features/feature-config.js';
import { FeatureEngine } from '../../services/technical-indicators/src/domain/features/feature-engine.js';
import { indicatorInstanceCount, measureEngine } from '../../services/technical-indicators/src/measure-engine.js';
import { INDICATOR_CATALOG } from '../../services/technical-indicators/src/domain/indicators/catalog.js';
import { MOVING_AVERAGE_TYPES } from '../../services/technical-indicators/src/domain/indicators/moving-average/moving-average.js';
import { talib } from '../../services/technical-indicators/src/testing/talib-oracle.js';
import { quantile, round } from '../lib/stats.js';

const FROM = Date.parse('2024-01-01T00:00:00Z');
const TIMEFRAME = '1m';
const TARGET_NS_PER_CANDLE = 2000;

const log = (message: string): void => void process.stderr.write(`[indicators] ${message}\n`);

type SeriesName = 'high' | 'low' | 'close' | 'volume' | 'buy' | 'sell' | 'trades';
type Inputs = Record<SeriesName, number[]>;
/** Output lines aligned to the inputs from startIdx on (NaN where TA-Lib has no value). */
type Lines = Record<string, number[]>;

/** One TA-Lib call over inputs[0..n), outputs aligned to indices startIdx..n-1. */
function exec(
  name: string,
  inputs: Record<string, number[]>,
  options: Record<string, number>,
  startIdx: number,
): Lines {
  const n = Object.values(inputs)[0]?.length ?? 0;
  const response = talib.execute({ name, startIdx, endIdx: n - 1, ...inputs, ...options });
  if ('error' in response) throw new Error(`TA-Lib ${name}: ${response.error}`);
  const out: Lines = {};
  for (const [key, values] of Object.entries(response.result)) {
    const aligned = new Array<number>(n - startIdx).fill(Number.NaN);
    for (let k = 0; k < values.length; k += 1) aligned[response.begIndex - startIdx + k] = values[k] ?? Number.NaN;
    out[key] = aligned;
  }
  return out;
}

const sum = (values: number[], period: number, startIdx: number): number[] =>
  period === 1
    ? values.slice(startIdx)
    : (exec('SUM', { inReal: values }, { optInTimePeriod: period }, startIdx).outReal ?? []);

/** How the repo's oracle tests compute an indicator of the catalog with TA-Lib (see each *.test.ts). */
interface TalibSpec {
  needs: SeriesName[];
  /** TA-Lib calls per evaluation. */
  calls: number;
  compute(inputs: Inputs, startIdx: number): Lines;
}

function num(params: Readonly<Record<string, number | string>>, key: string): number {
  const value = params[key];
  if (typeof value !== 'number') throw new Error(`parameter ${key} is not a number`);
  return value;
}

function talibSpec(feature: FeatureDefinition): TalibSpec | undefined {
  const p = feature.params;
  if ('source' in p && p.source !== 'close') throw new Error(`${feature.name}: only source close is mapped to TA-Lib`);
  if ('unstablePeriod' in p && p.unstablePeriod !== 0) throw new Error(`${feature.name}: unstablePeriod is not mapped`);
  const hlc = (s: Inputs) => ({ high: s.high, low: s.low, close: s.close });
  switch (feature.indicator) {
    case 'log_return':
      return {
        needs: ['close'],
        calls: 1,
        compute: (s, i) => ({
          value: (exec('ROCR', { inReal: s.close }, { optInTimePeriod: num(p, 'period') }, i).outReal ?? []).map(
            Math.log,
          ),
        }),
      };
    case 'log_return_volatility':
      return {
        needs: ['close'],
        calls: 1,
        compute: (s, i) => {
          const returns = s.close.slice(1).map((c, k) => Math.log(c / (s.close[k] ?? Number.NaN)));
          const deviation =
            exec(
              'STDDEV',
              { inReal: returns },
              { optInTimePeriod: num(p, 'period'), optInNbDev: 1 },
              Math.max(i - 1, 0),
            ).outReal ?? [];
          // The returns start one bar later than the closes.
          return { value: i === 0 ? [Number.NaN, ...deviation] : deviation };
        },
      };
    case 'rsi':
      return {
        needs: ['close'],
        calls: 1,
        compute: (s, i) => ({
          value: exec('RSI', { inReal: s.close }, { optInTimePeriod: num(p, 'period') }, i).outReal ?? [],
        }),
      };
    case 'ema':
      return {
        needs: ['close'],
        calls: 1,
        compute: (s, i) => ({
          value: exec('EMA', { inReal: s.close }, { optInTimePeriod: num(p, 'period') }, i).outReal ?? [],
        }),
      };
    case 'roc':
      return {
        needs: ['close'],
        calls: 1,
        compute: (s, i) => ({
          value: exec('ROC', { inReal: s.close }, { optInTimePeriod: num(p, 'period') }, i).outReal ?? [],
        }),
      };
    case 'macd':
      return {
        needs: ['close'],
        calls: 1,
        compute: (s, i) => {
          const ref = exec(
            'MACD',
            { inReal: s.close },
            { optInFastPeriod: num(p, 'fast'), optInSlowPeriod: num(p, 'slow'), optInSignalPeriod: num(p, 'signal') },
            i,
          );
          return { macd: ref.outMACD ?? [], signal: ref.outMACDSignal ?? [], histogram: ref.outMACDHist ?? [] };
        },
      };
    case 'bollinger':
      return {
        needs: ['close'],
        calls: 1,
        compute: (s, i) => {
          const deviations = num(p, 'deviations');
          const ref = exec(
            'BBANDS',
            { inReal: s.close },
            { optInTimePeriod: num(p, 'period'), optInNbDevUp: deviations, optInNbDevDn: deviations, optInMAType: 0 },
            i,
          );
          const upper = ref.outRealUpperBand ?? [];
          const lower = ref.outRealLowerBand ?? [];
          const middle = ref.outRealMiddleBand ?? [];
          // %B and width from TA-Lib's own bands, as bollinger.test.ts derives them.
          const percentB = upper.map((u, k) => {
            const l = lower[k] ?? Number.NaN;
            const close = s.close[i + k] ?? Number.NaN;
            return Number.isNaN(u) ? Number.NaN : u - l > 0 ? (close - l) / (u - l) : 0.5;
          });
          const width = upper.map((u, k) => (u - (lower[k] ?? Number.NaN)) / (middle[k] ?? Number.NaN));
          return { upper, middle, lower, percentB, width };
        },
      };
    case 'natr':
    case 'adx':
    case 'cci': {
      const name = feature.indicator.toUpperCase();
      return {
        needs: ['high', 'low', 'close'],
        calls: 1,
        compute: (s, i) => ({ value: exec(name, hlc(s), { optInTimePeriod: num(p, 'period') }, i).outReal ?? [] }),
      };
    }
    case 'mfi':
      return {
        needs: ['high', 'low', 'close', 'volume'],
        calls: 1,
        compute: (s, i) => ({
          value: exec('MFI', { ...hlc(s), volume: s.volume }, { optInTimePeriod: num(p, 'period') }, i).outReal ?? [],
        }),
      };
    case 'stoch':
      return {
        needs: ['high', 'low', 'close'],
        calls: 1,
        compute: (s, i) => {
          const ma = MOVING_AVERAGE_TYPES[p.ma as keyof typeof MOVING_AVERAGE_TYPES];
          const ref = exec(
            'STOCH',
            hlc(s),
            {
              optInFastK_Period: num(p, 'fastK'),
              optInSlowK_Period: num(p, 'slowK'),
              optInSlowK_MAType: ma,
              optInSlowD_Period: num(p, 'slowD'),
              optInSlowD_MAType: ma,
            },
            i,
          );
          return { k: ref.outSlowK ?? [], d: ref.outSlowD ?? [] };
        },
      };
    case 'taker_buy_ratio': {
      const period = num(p, 'period');
      return {
        needs: ['buy', 'volume'],
        calls: period === 1 ? 0 : 2,
        compute: (s, i) => {
          const buy = sum(s.buy, period, i);
          const total = sum(s.volume, period, i);
          const value = buy.map((b, k) => {
            const v = total[k] ?? Number.NaN;
            return Number.isNaN(b) ? Number.NaN : v > 0 ? b / v : 0.5;
          });
          return { value };
        },
      };
    }
    case 'signed_volume': {
      const period = num(p, 'period');
      return {
        needs: ['buy', 'sell', 'volume'],
        calls: period === 1 ? 0 : 2,
        compute: (s, i) => {
          const net = sum(
            s.buy.map((b, k) => b - (s.sell[k] ?? Number.NaN)),
            period,
            i,
          );
          const total = sum(s.volume, period, i);
          const ratio = net.map((x, k) => {
            const v = total[k] ?? Number.NaN;
            return Number.isNaN(x) ? Number.NaN : v > 0 ? x / v : 0;
          });
          return { volume: net, ratio };
        },
      };
    }
    case 'trade_count_zscore': {
      const period = num(p, 'period');
      return {
        needs: ['trades'],
        calls: 2,
        compute: (s, i) => {
          const mean = exec('SMA', { inReal: s.trades }, { optInTimePeriod: period }, i).outReal ?? [];
          const deviation =
            exec('STDDEV', { inReal: s.trades }, { optInTimePeriod: period, optInNbDev: 1 }, i).outReal ?? [];
          const value = mean.map((m, k) => {
            const d = deviation[k] ?? Number.NaN;
            return Number.isNaN(m) ? Number.NaN : d > 0 ? ((s.trades[i + k] ?? Number.NaN) - m) / d : 0;
          });
          return { value };
        },
      };
    }
    case 'session_vwap':
      return undefined; // no TA-Lib counterpart
    default:
      throw new Error(`${feature.name}: indicator ${feature.indicator} has no TA-Lib mapping in this benchmark`);
  }
}

/** The feature transform the engine applies (feature-engine.ts `reader`), null for non-finite. */
function transform(feature: FeatureDefinition, value: number, close: number): number | null {
  const out =
    feature.transform === 'divide_by_close'
      ? value / close
      : feature.transform === 'close_relative'
        ? close / value - 1
        : value;
  return Number.isFinite(out) ? out : null;
}

/** Fills holes with empty bars carrying the last close, exactly as FeatureEngine.fillGap would. */
function fillGaps(candles: readonly Candle[], maxBars: number): { bars: Candle[]; filled: number } {
  const bars: Candle[] = [];
  let filled = 0;
  for (const candle of candles) {
    const last = bars[bars.length - 1];
    if (last !== undefined) {
      const missing = (candle.openTime - last.openTime) / 60_000 - 1;
      if (missing > 0 && Number.isInteger(missing) && missing <= maxBars) {
        for (let k = 1; k <= missing; k += 1) {
          const openTime = last.openTime + k * 60_000;
          bars.push(
            emptyCandle({
              pair: last.pair,
              timeframe: last.timeframe,
              openTime,
              closeTime: openTime + 60_000,
              previousClose: last.close,
            }),
          );
          filled += 1;
        }
      }
    }
    bars.push(candle);
  }
  return { bars, filled };
}

function relativeDiff(actual: number, expected: number): number {
  const diff = Math.abs(actual - expected);
  return expected === 0 ? (diff === 0 ? 0 : Number.POSITIVE_INFINITY) : diff / Math.abs(expected);
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const count = options.quick ? 20_000 : 200_000;
  // Rounds are cheap (~0.3 s each); more of them make the best round less hostage to a noisy neighbour.
  const engineRounds = options.quick ? 3 : 7;
  // How busy the (shared) machine was: wall time suffers most from it, CPU time much less.
  const loadAtStart = round(loadavg()[0] ?? Number.NaN, 2);
  const talibRounds = 2;
  const talibCount = options.quick ? count : 50_000;

  log(`reading ${count} real Binance 1-minute candles from 2024-01-01`);
  const read: Candle[] = [];
  for await (const candle of readBinanceCandles({ from: FROM, to: FROM + count * 60_000 })) read.push(candle);
  const featureSet = loadFeatureSet();
  const { bars: candles, filled } = fillGaps(read, featureSet.gapFillMaxBars);
  log(`${read.length} candles read, ${filled} empty bars filled in (as the engine would)`);
  const features = featureSet.features.filter((f) => f.timeframes.includes(TIMEFRAME));

  // 1. The incremental engine, exactly as the service runs it.
  log(`engine: ${engineRounds} rounds over ${candles.length} candles`);
  const engine = measureEngine(featureSet, candles, engineRounds);
  log(`engine: best ${Math.round(engine.nsPerCandle)} ns/candle wall, ${Math.round(engine.cpuNsPerCandle)} CPU`);

  // 2. The TA-Lib instances of the set, with their lookbacks (TA-Lib's, as the catalog implements them).
  const instances = new Map<string, { spec: TalibSpec; lookback: number; kind: string }>();
  for (const feature of features) {
    if (instances.has(feature.instanceKey)) continue;
    const spec = talibSpec(feature);
    const created = INDICATOR_CATALOG.get(feature.indicator)?.create(feature.params);
    if (spec !== undefined && created !== undefined)
      instances.set(feature.instanceKey, { spec, lookback: created.lookback, kind: feature.indicator });
  }
  const series: Inputs = {
    high: candles.map((c) => c.high),
    low: candles.map((c) => c.low),
    close: candles.map((c) => c.close),
    volume: candles.map((c) => c.volume),
    buy: candles.map((c) => c.buyVolume),
    sell: candles.map((c) => c.sellVolume),
    trades: candles.map((c) => c.trades),
  };

  // 3. Exactness: the engine's rows against TA-Lib run once over the whole history (the tests' oracle).
  log('exactness: engine rows vs TA-Lib over the whole history');
  const reference = new Map<string, Lines>();
  for (const [key, { spec }] of instances) reference.set(key, spec.compute(series, 0));
  const rows: Record<string, number | null>[] = [];
  const check = new FeatureEngine(featureSet);
  for (const candle of candles) {
    const outcome = check.apply(candle);
    if (outcome.kind !== 'rows' || outcome.rows.length !== 1) throw new Error('expected one row per candle');
    rows.push(outcome.rows[0]?.features ?? {});
  }
  let compared = 0;
  let identical = 0;
  let maxRel = 0;
  let warmupMismatches = 0;
  const maxRelByFeature: Record<string, number> = {};
  for (const feature of features) {
    const lines = reference.get(feature.instanceKey);
    if (lines === undefined) continue;
    const line = lines[feature.line] ?? [];
    let featureMax = 0;
    candles.forEach((candle, i) => {
      const raw = line[i] ?? Number.NaN;
      const ours = rows[i]?.[feature.name] ?? null;
      const expected = Number.isNaN(raw) ? null : transform(feature, raw, candle.close);
      if (expected === null || ours === null) {
        if ((expected === null) !== (ours === null)) warmupMismatches += 1;
        return;
      }
      const rel = relativeDiff(ours, expected);
      compared += 1;
      if (ours === expected) identical += 1;
      featureMax = Math.max(featureMax, rel);
    });
    maxRelByFeature[feature.name] = featureMax;
    maxRel = Math.max(maxRel, featureMax);
  }
  log(
    `exactness: ${compared} values, ${identical} identical, max rel ${maxRel}, warm-up mismatches ${warmupMismatches}`,
  );

  // 4. The naive TA-Lib streaming user: every candle, each TA-Lib indicator on its last lookback+1 candles.
  const talibInstances = [...instances.values()].filter((instance) => instance.spec.calls > 0);
  const callsPerCandle = talibInstances.reduce((total, instance) => total + instance.spec.calls, 0);
  const subset = Math.min(talibCount, candles.length);
  const windowRel = new Map<string, number>();
  const talibWall: number[] = [];
  const talibCpu: number[] = [];
  let talibValues = 0;
  for (let r = 0; r < talibRounds; r += 1) {
    log(`TA-Lib recompute: round ${r + 1}/${talibRounds} over ${subset} candles, ${callsPerCandle} calls per candle`);
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < subset; i += 1) {
      for (const { spec, lookback } of talibInstances) {
        if (i < lookback) continue;
        const window = {} as Inputs;
        for (const name of spec.needs) window[name] = series[name].slice(i - lookback, i + 1);
        const lines = spec.compute(window, lookback);
        for (const values of Object.values(lines))
          if (!Number.isNaN(values[values.length - 1] ?? Number.NaN)) talibValues += 1;
      }
    }
    const cpu = process.cpuUsage(cpuStart);
    talibWall.push(Number(process.hrtime.bigint() - start) / subset);
    talibCpu.push(((cpu.user + cpu.system) * 1000) / subset);
  }
  // How far the naive windowed values are from the whole-history ones (TA-Lib's unstable-period
  // indicators — EMA, RSI, NATR, ADX, MFI, and MACD's EMAs — depend on where the series starts).
  for (const [key, { spec, lookback, kind }] of instances) {
    if (spec.calls === 0) continue;
    const full = reference.get(key) ?? {};
    for (let i = Math.max(lookback, subset - 2000); i < subset; i += 1) {
      const window = {} as Inputs;
      for (const name of spec.needs) window[name] = series[name].slice(i - lookback, i + 1);
      for (const [line, values] of Object.entries(spec.compute(window, lookback))) {
        const expected = full[line]?.[i] ?? Number.NaN;
        const actual = values[values.length - 1] ?? Number.NaN;
        if (Number.isNaN(expected) || Number.isNaN(actual)) continue;
        const name = `${kind}:${line}`;
        windowRel.set(name, Math.max(windowRel.get(name) ?? 0, relativeDiff(actual, expected)));
      }
    }
  }
  const talibNs = Math.min(...talibWall);
  const talibCpuNs = Math.min(...talibCpu);
  log(`TA-Lib recompute: best ${Math.round(talibNs)} ns/candle wall, ${Math.round(talibCpuNs)} CPU`);

  const nsPerCandle = Math.round(engine.cpuNsPerCandle);
  return {
    indicators: indicatorInstanceCount({ ...featureSet, features }),
    features: features.length,
    timeframe: TIMEFRAME,
    candles: candles.length,
    candles_from: new Date(FROM).toISOString(),
    gap_filled_bars: filled,
    ns_per_candle: nsPerCandle,
    ns_per_candle_basis: 'best of rounds, CPU time (user+system, process.cpuUsage) per candle',
    engine_cpu_ns_per_candle: nsPerCandle,
    engine_wall_ns_per_candle: Math.round(engine.nsPerCandle),
    engine_cpu_ns_per_candle_median: Math.round(quantile(engine.cpuNsPerCandleRounds, 0.5)),
    engine_wall_ns_per_candle_median: Math.round(quantile(engine.nsPerCandleRounds, 0.5)),
    engine_cpu_ns_per_candle_rounds: engine.cpuNsPerCandleRounds.map(Math.round),
    engine_wall_ns_per_candle_rounds: engine.nsPerCandleRounds.map(Math.round),
    target_ns_per_candle: TARGET_NS_PER_CANDLE,
    target_met: nsPerCandle <= TARGET_NS_PER_CANDLE,
    talib_ns_per_candle: Math.round(talibCpuNs),
    talib_ns_per_candle_basis: 'best of rounds, CPU time per candle, same basis as ns_per_candle',
    talib_wall_ns_per_candle: Math.round(talibNs),
    talib_cpu_ns_per_candle_median: Math.round(quantile(talibCpu, 0.5)),
    talib_cpu_ns_per_candle_rounds: talibCpu.map(Math.round),
    talib_wall_ns_per_candle_rounds: talibWall.map(Math.round),
    talib_candles: subset,
    talib_subset_note:
      subset < candles.length
        ? `TA-Lib recompute timed on the first ${subset} of the ${candles.length} candles (too slow for all); per-candle cost does not depend on history length`
        : 'TA-Lib recompute timed on all candles',
    talib_indicators: talibInstances.length,
    talib_calls_per_candle: callsPerCandle,
    talib_values_per_round: talibValues / talibRounds,
    speedup_vs_talib: round(talibCpuNs / engine.cpuNsPerCandle, 1),
    machine_cpus: cpus().length,
    machine_load_1m_at_start: loadAtStart,
    max_rel_diff_vs_talib: maxRel,
    max_rel_diff_basis:
      'engine feature rows vs TA-Lib run over the whole measured history (the test oracle), same transforms, after warm-up; session_vwap has no TA-Lib counterpart and is excluded',
    values_compared_vs_talib: compared,
    values_bit_identical_vs_talib: identical,
    warmup_mismatches_vs_talib: warmupMismatches,
    max_rel_diff_vs_talib_by_feature: maxRelByFeature,
    talib_window_vs_full_history_max_rel_diff: Object.fromEntries(windowRel),
    talib_window_note:
      'what the naive lookback+1 recompute returns vs TA-Lib over the whole history (last 2,000 timed candles): unstable-period indicators differ, so the naive user does not even get the streaming values',
  };
}
