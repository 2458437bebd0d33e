import { z } from 'zod';
import { Adx, Dx, MinusDi, PlusDi } from './adx/adx.js';
import { Aroon } from './aroon/aroon.js';
import { Atr } from './atr/atr.js';
import { Natr } from './atr/natr.js';
import { PRICE_SOURCES, priceOf, type Bar, type PriceSource } from './bar.js';
import { Bollinger } from './bollinger/bollinger.js';
import { Cci } from './cci/cci.js';
import { Dema } from './dema/dema.js';
import { Donchian } from './donchian/donchian.js';
import { Ema } from './ema/ema.js';
import type { AnyIndicator, Indicator, IndicatorOutput } from './indicator.js';
import type { JsonObject } from './json.js';
import { Kama } from './kama/kama.js';
import { Keltner } from './keltner/keltner.js';
import { LogReturn } from './log-return/log-return.js';
import { Macd } from './macd/macd.js';
import { Mfi } from './mfi/mfi.js';
import { Mom } from './mom/mom.js';
import { MOVING_AVERAGE_TYPES, type MovingAverageType } from './moving-average/moving-average.js';
import { Obv } from './obv/obv.js';
import { Apo, Ppo } from './ppo/ppo.js';
import { Roc } from './roc/roc.js';
import { Rsi } from './rsi/rsi.js';
import { Sar } from './sar/sar.js';
import { SessionVwap } from './session-vwap/session-vwap.js';
import { SignedVolume } from './signed-volume/signed-volume.js';
import { Sma } from './sma/sma.js';
import { StdDev } from './stddev/stddev.js';
import { Stoch, StochFast } from './stoch/stoch.js';
import { StochRsi } from './stochrsi/stochrsi.js';
import { TakerBuyRatio } from './taker-buy-ratio/taker-buy-ratio.js';
import { Tema } from './tema/tema.js';
import { TradeCountZScore } from './trade-count-zscore/trade-count-zscore.js';
import { Trix } from './trix/trix.js';
import { UltOsc } from './ultosc/ultosc.js';
import { LogReturnVolatility } from './volatility/log-return-volatility.js';
import { WillR } from './willr/willr.js';
import { Wma } from './wma/wma.js';

/**
 * What an output line's values are measured in. Models are trained across price regimes (BTC at
 * 16k and at 100k), so features must be `free` of scale: price levels and price differences only
 * enter after a transform against the close, and volumes not at all unless a config insists.
 */
export type Scale = 'free' | 'price' | 'volume';

/**
 * An indicator bound to the input it reads from a bar (its price source, or the bar itself).
 * `update`/`replace` are the indicator's own (they save and restore its state); the feature
 * engine uses `advance` with one Checkpoint for all of a series' indicators, and reads the
 * output lines from `indicator.out`.
 */
export interface BarIndicator {
  readonly kind: string;
  readonly lookback: number;
  readonly value: IndicatorOutput | undefined;
  readonly isWarm: boolean;
  /** The underlying indicator (for Checkpoint, `out` and `lineIndex`). */
  readonly indicator: AnyIndicator;
  /** The value, or a NotWarmedUpError while warming up. */
  valueOrThrow(): IndicatorOutput;
  update(bar: Bar): IndicatorOutput | undefined;
  replace(bar: Bar): IndicatorOutput | undefined;
  /** Indicator.advance with the input read from the bar: the caller saves/restores a Checkpoint. */
  advance(bar: Bar, replace: boolean): boolean;
  toJSON(): JsonObject;
  restore(state: JsonObject): void;
}

export interface IndicatorSpec {
  readonly kind: string;
  readonly summary: string;
  /** Parameters with their defaults; unknown keys are errors. */
  readonly params: z.ZodType<Record<string, number | string>>;
  /** Output lines and their scale; a single-number indicator has the one line `value`. */
  readonly lines: Readonly<Record<string, Scale>>;
  /** True if the first value comes after exactly `lookback` bars (false: it depends on the data). */
  readonly countWarmup: boolean;
  create(params: Record<string, number | string>): BarIndicator;
}

/** One reader per price source, made once: the hot path calls a shared function, not a new closure. */
const PRICE_READERS: Readonly<Record<PriceSource, (bar: Bar) => number>> = {
  close: (bar) => bar.close,
  open: (bar) => bar.open,
  high: (bar) => bar.high,
  low: (bar) => bar.low,
  hl2: (bar) => priceOf(bar, 'hl2'),
  hlc3: (bar) => priceOf(bar, 'hlc3'),
  ohlc4: (bar) => priceOf(bar, 'ohlc4'),
  vwap: (bar) => bar.vwap,
};

class BoundIndicator<In, Out extends IndicatorOutput> implements BarIndicator {
  readonly kind: string;
  readonly lookback: number;
  readonly indicator: AnyIndicator;
  /**
   * The indicator class's own `advance`, looked up once: calling it directly skips a property
   * lookup that sees every indicator class (megamorphic) on each bar.
   */
  private readonly step: (input: In, replace: boolean) => boolean;

  constructor(
    private readonly bound: Indicator<In, Out>,
    private readonly read: (bar: Bar) => In,
  ) {
    this.kind = bound.kind;
    this.lookback = bound.lookback;
    // Feeding happens only through `bound`; the untyped view is for saving and reading lines.
    this.indicator = bound;
    this.step = bound.advance;
  }

  get value(): Out | undefined {
    return this.bound.value;
  }

  get isWarm(): boolean {
    return this.bound.isWarm;
  }

  valueOrThrow(): Out {
    return this.bound.valueOrThrow();
  }

  update(bar: Bar): Out | undefined {
    return this.bound.update(this.read(bar));
  }

  replace(bar: Bar): Out | undefined {
    return this.bound.replace(this.read(bar));
  }

  advance(bar: Bar, replace: boolean): boolean {
    return this.step.call(this.bound, this.read(bar), replace);
  }

  toJSON(): JsonObject {
    return this.bound.toJSON();
  }

  restore(state: JsonObject): void {
    this.bound.restore(state);
  }
}

function bindPrice<Out extends IndicatorOutput>(indicator: Indicator<number, Out>, source: PriceSource): BarIndicator {
  return new BoundIndicator(indicator, PRICE_READERS[source]);
}

function bindBar<In, Out extends IndicatorOutput>(indicator: Indicator<In, Out>, read: (bar: Bar) => In): BarIndicator {
  return new BoundIndicator(indicator, read);
}

const identity = (bar: Bar): Bar => bar;
const period = (fallback: number, min = 2) => z.number().int().min(min).max(100_000).default(fallback);
const unstablePeriod = z.number().int().min(0).max(100_000).default(0);
const source = z.enum(PRICE_SOURCES).default('close');
const maType = z.enum(Object.keys(MOVING_AVERAGE_TYPES) as [MovingAverageType, ...MovingAverageType[]]);
const positive = (fallback: number) => z.number().positive().finite().default(fallback);

// Each spec's create() receives params already parsed by its own schema, so the casts below only
// restate what the schema guarantees.
const n = (params: Record<string, number | string>, key: string): number => Number(params[key]);
const s = <T extends string>(params: Record<string, number | string>, key: string): T => String(params[key]) as T;

function spec(definition: IndicatorSpec): IndicatorSpec {
  return definition;
}

const priceSpecs: IndicatorSpec[] = [
  spec({
    kind: 'sma',
    summary: 'simple moving average (TA-Lib SMA)',
    params: z.strictObject({ period: period(20, 1), source }),
    lines: { value: 'price' },
    countWarmup: true,
    create: (p) => bindPrice(new Sma(n(p, 'period')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'ema',
    summary: 'exponential moving average seeded by an SMA (TA-Lib EMA)',
    params: z.strictObject({ period: period(20, 1), source, unstablePeriod }),
    lines: { value: 'price' },
    countWarmup: true,
    create: (p) => bindPrice(new Ema(n(p, 'period'), n(p, 'unstablePeriod')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'wma',
    summary: 'linearly weighted moving average (TA-Lib WMA)',
    params: z.strictObject({ period: period(20, 1), source }),
    lines: { value: 'price' },
    countWarmup: true,
    create: (p) => bindPrice(new Wma(n(p, 'period')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'dema',
    summary: 'double EMA (TA-Lib DEMA)',
    params: z.strictObject({ period: period(20), source }),
    lines: { value: 'price' },
    countWarmup: true,
    create: (p) => bindPrice(new Dema(n(p, 'period')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'tema',
    summary: 'triple EMA (TA-Lib TEMA)',
    params: z.strictObject({ period: period(20), source }),
    lines: { value: 'price' },
    countWarmup: true,
    create: (p) => bindPrice(new Tema(n(p, 'period')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'kama',
    summary: 'Kaufman adaptive moving average (TA-Lib KAMA)',
    params: z.strictObject({ period: period(10), source, unstablePeriod }),
    lines: { value: 'price' },
    countWarmup: true,
    create: (p) => bindPrice(new Kama(n(p, 'period'), n(p, 'unstablePeriod')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'rsi',
    summary: 'relative strength index, Wilder smoothing (TA-Lib RSI)',
    params: z.strictObject({ period: period(14), source, unstablePeriod }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindPrice(new Rsi(n(p, 'period'), n(p, 'unstablePeriod')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'macd',
    summary: 'MACD line, signal and histogram with TA-Lib alignment (TA-Lib MACD)',
    params: z.strictObject({ fast: period(12), slow: period(26), signal: period(9), source }),
    lines: { macd: 'price', signal: 'price', histogram: 'price' },
    countWarmup: true,
    create: (p) => bindPrice(new Macd(n(p, 'fast'), n(p, 'slow'), n(p, 'signal')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'bollinger',
    summary: 'Bollinger bands on an SMA with population stddev (TA-Lib BBANDS), %B and width',
    params: z.strictObject({ period: period(20), deviations: positive(2), source }),
    lines: { upper: 'price', middle: 'price', lower: 'price', percentB: 'free', width: 'free' },
    countWarmup: true,
    create: (p) => bindPrice(new Bollinger(n(p, 'period'), n(p, 'deviations')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'stddev',
    summary: 'rolling population standard deviation (TA-Lib STDDEV)',
    params: z.strictObject({ period: period(20), deviations: positive(1), source }),
    lines: { value: 'price' },
    countWarmup: true,
    create: (p) => bindPrice(new StdDev(n(p, 'period'), n(p, 'deviations')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'roc',
    summary: 'rate of change in percent (TA-Lib ROC)',
    params: z.strictObject({ period: period(10, 1), source }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindPrice(new Roc(n(p, 'period')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'mom',
    summary: 'momentum x − x[−n] (TA-Lib MOM)',
    params: z.strictObject({ period: period(10, 1), source }),
    lines: { value: 'price' },
    countWarmup: true,
    create: (p) => bindPrice(new Mom(n(p, 'period')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'trix',
    summary: '1-bar % change of a triple EMA (TA-Lib TRIX)',
    params: z.strictObject({ period: period(30, 1), source }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindPrice(new Trix(n(p, 'period')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'ppo',
    summary: 'percentage price oscillator (TA-Lib PPO; EMA by default where TA-Lib defaults to SMA)',
    params: z.strictObject({ fast: period(12), slow: period(26), ma: maType.default('ema'), source }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) =>
      bindPrice(new Ppo(n(p, 'fast'), n(p, 'slow'), s<MovingAverageType>(p, 'ma')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'apo',
    summary: 'absolute price oscillator (TA-Lib APO; EMA by default)',
    params: z.strictObject({ fast: period(12), slow: period(26), ma: maType.default('ema'), source }),
    lines: { value: 'price' },
    countWarmup: true,
    create: (p) =>
      bindPrice(new Apo(n(p, 'fast'), n(p, 'slow'), s<MovingAverageType>(p, 'ma')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'stochrsi',
    summary: 'stochastic RSI (TA-Lib STOCHRSI)',
    params: z.strictObject({
      period: period(14),
      fastK: period(5, 1),
      fastD: period(3, 1),
      ma: maType.default('sma'),
      source,
    }),
    lines: { k: 'free', d: 'free' },
    countWarmup: true,
    create: (p) =>
      bindPrice(
        new StochRsi(n(p, 'period'), n(p, 'fastK'), n(p, 'fastD'), s<MovingAverageType>(p, 'ma')),
        s<PriceSource>(p, 'source'),
      ),
  }),
  spec({
    kind: 'log_return',
    summary: 'log return ln(x / x[−n])',
    params: z.strictObject({ period: period(1, 1), source }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindPrice(new LogReturn(n(p, 'period')), s<PriceSource>(p, 'source')),
  }),
  spec({
    kind: 'log_return_volatility',
    summary: 'population stddev of the last n one-bar log returns',
    params: z.strictObject({ period: period(30), source }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindPrice(new LogReturnVolatility(n(p, 'period')), s<PriceSource>(p, 'source')),
  }),
];

const barSpecs: IndicatorSpec[] = [
  spec({
    kind: 'atr',
    summary: 'average true range, Wilder smoothing (TA-Lib ATR)',
    params: z.strictObject({ period: period(14, 1), unstablePeriod }),
    lines: { value: 'price' },
    countWarmup: true,
    create: (p) => bindBar(new Atr(n(p, 'period'), n(p, 'unstablePeriod')), identity),
  }),
  spec({
    kind: 'natr',
    summary: 'ATR as a percentage of the close (TA-Lib NATR)',
    params: z.strictObject({ period: period(14, 1), unstablePeriod }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new Natr(n(p, 'period'), n(p, 'unstablePeriod')), identity),
  }),
  spec({
    kind: 'stoch',
    summary: 'slow stochastic %K/%D (TA-Lib STOCH)',
    params: z.strictObject({
      fastK: period(5, 1),
      slowK: period(3, 1),
      slowD: period(3, 1),
      ma: maType.default('sma'),
    }),
    lines: { k: 'free', d: 'free' },
    countWarmup: true,
    create: (p) =>
      bindBar(new Stoch(n(p, 'fastK'), n(p, 'slowK'), n(p, 'slowD'), s<MovingAverageType>(p, 'ma')), identity),
  }),
  spec({
    kind: 'stochf',
    summary: 'fast stochastic %K/%D (TA-Lib STOCHF)',
    params: z.strictObject({ fastK: period(5, 1), fastD: period(3, 1), ma: maType.default('sma') }),
    lines: { k: 'free', d: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new StochFast(n(p, 'fastK'), n(p, 'fastD'), s<MovingAverageType>(p, 'ma')), identity),
  }),
  spec({
    kind: 'willr',
    summary: 'Williams %R (TA-Lib WILLR)',
    params: z.strictObject({ period: period(14) }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new WillR(n(p, 'period')), identity),
  }),
  spec({
    kind: 'cci',
    summary: 'commodity channel index (TA-Lib CCI)',
    params: z.strictObject({ period: period(14) }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new Cci(n(p, 'period')), identity),
  }),
  spec({
    kind: 'adx',
    summary: 'average directional index (TA-Lib ADX)',
    params: z.strictObject({ period: period(14), unstablePeriod }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new Adx(n(p, 'period'), n(p, 'unstablePeriod')), identity),
  }),
  spec({
    kind: 'dx',
    summary: 'directional movement index (TA-Lib DX)',
    params: z.strictObject({ period: period(14), unstablePeriod }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new Dx(n(p, 'period'), n(p, 'unstablePeriod')), identity),
  }),
  spec({
    kind: 'plus_di',
    summary: '+DI (TA-Lib PLUS_DI)',
    params: z.strictObject({ period: period(14), unstablePeriod }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new PlusDi(n(p, 'period'), n(p, 'unstablePeriod')), identity),
  }),
  spec({
    kind: 'minus_di',
    summary: '−DI (TA-Lib MINUS_DI)',
    params: z.strictObject({ period: period(14), unstablePeriod }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new MinusDi(n(p, 'period'), n(p, 'unstablePeriod')), identity),
  }),
  spec({
    kind: 'aroon',
    summary: 'Aroon up/down and oscillator (TA-Lib AROON, AROONOSC)',
    params: z.strictObject({ period: period(14) }),
    lines: { up: 'free', down: 'free', oscillator: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new Aroon(n(p, 'period')), identity),
  }),
  spec({
    kind: 'mfi',
    summary: 'money flow index (TA-Lib MFI)',
    params: z.strictObject({ period: period(14), unstablePeriod }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new Mfi(n(p, 'period'), n(p, 'unstablePeriod')), identity),
  }),
  spec({
    kind: 'obv',
    summary: 'on-balance volume (TA-Lib OBV)',
    params: z.strictObject({ source }),
    lines: { value: 'volume' },
    countWarmup: true,
    create: (p) => {
      const from = s<PriceSource>(p, 'source');
      return bindBar(new Obv(), (bar) => ({ price: priceOf(bar, from), volume: bar.volume }));
    },
  }),
  spec({
    kind: 'ultosc',
    summary: 'ultimate oscillator (TA-Lib ULTOSC)',
    params: z.strictObject({ period1: period(7, 1), period2: period(14, 1), period3: period(28, 1) }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new UltOsc(n(p, 'period1'), n(p, 'period2'), n(p, 'period3')), identity),
  }),
  spec({
    kind: 'sar',
    summary: 'parabolic SAR (TA-Lib SAR)',
    params: z.strictObject({ acceleration: positive(0.02), maximum: positive(0.2) }),
    lines: { value: 'price' },
    countWarmup: true,
    create: (p) => bindBar(new Sar(n(p, 'acceleration'), n(p, 'maximum')), identity),
  }),
  spec({
    kind: 'session_vwap',
    summary: 'VWAP of the current session (UTC day by default)',
    params: z.strictObject({
      sessionMinutes: z.number().int().min(1).default(1440),
      offsetMinutes: z.number().int().min(0).default(0),
    }),
    lines: { value: 'price' },
    countWarmup: false,
    create: (p) => bindBar(new SessionVwap(n(p, 'sessionMinutes'), n(p, 'offsetMinutes')), identity),
  }),
  spec({
    kind: 'keltner',
    summary: 'Keltner channel: EMA ± k × ATR',
    params: z.strictObject({ period: period(20), atrPeriod: period(10, 1), multiplier: positive(2) }),
    lines: { upper: 'price', middle: 'price', lower: 'price', width: 'free', position: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new Keltner(n(p, 'period'), n(p, 'atrPeriod'), n(p, 'multiplier')), identity),
  }),
  spec({
    kind: 'donchian',
    summary: 'Donchian channel: highest high / lowest low',
    params: z.strictObject({ period: period(20, 1) }),
    lines: { upper: 'price', middle: 'price', lower: 'price', width: 'free', position: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new Donchian(n(p, 'period')), identity),
  }),
  spec({
    kind: 'taker_buy_ratio',
    summary: 'taker-buy volume / volume over n bars',
    params: z.strictObject({ period: period(1, 1) }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new TakerBuyRatio(n(p, 'period')), identity),
  }),
  spec({
    kind: 'trade_count_zscore',
    summary: 'z-score of the trade count against the last n bars',
    params: z.strictObject({ period: period(60) }),
    lines: { value: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new TradeCountZScore(n(p, 'period')), identity),
  }),
  spec({
    kind: 'signed_volume',
    summary: 'net taker volume (buy − sell) over n bars, and as a share of volume',
    params: z.strictObject({ period: period(1, 1) }),
    lines: { volume: 'volume', ratio: 'free' },
    countWarmup: true,
    create: (p) => bindBar(new SignedVolume(n(p, 'period')), identity),
  }),
];

/** Every indicator a feature config can name, by kind. */
export const INDICATOR_CATALOG: ReadonlyMap<string, IndicatorSpec> = new Map(
  [...priceSpecs, ...barSpecs].map((entry) => [entry.kind, entry]),
);
