import { AppError, emptyCandle, timeframeMs, type Candle, type FeatureRow, type Timeframe } from '@crypto-predict/core';
import type { Bar } from '../indicators/bar.js';
import { INDICATOR_CATALOG, type BarIndicator } from '../indicators/catalog.js';
import { Checkpoint } from '../indicators/indicator.js';
import { isJsonObject, type JsonObject } from '../indicators/json.js';
import type { FeatureDefinition, FeatureSet, Transform } from './feature-config.js';

/** What became of one candle. */
export type CandleOutcome =
  | {
      kind: 'rows';
      /** Rows for any filled gap first, then the candle's own row. */
      rows: FeatureRow[];
      /** The candle revised the last bar (its row replaces the earlier one for the same time). */
      revised: boolean;
      /** Empty bars inserted before the candle for a hole in the series. */
      gapFilled: number;
    }
  | {
      kind: 'ignored';
      /**
       * timeframe: not configured. duplicate: this bar and revision were applied already (a
       * redelivery). stale-revision: an older revision of the last bar than the one applied.
       * late-revision: a revision of a bar older than the last one; indicators have moved past
       * it, so its features are not recomputed (the store keeps what was known at the time).
       */
      reason: 'timeframe' | 'duplicate' | 'stale-revision' | 'late-revision';
    };

/** A series' engine state as JSON: enough to continue without a gap and without a second warm-up. */
export interface SeriesSnapshot {
  v: 1;
  /** The feature-set hash the state belongs to; another config cannot use it. */
  featureSet: string;
  pair: string;
  timeframe: string;
  lastOpenTime: number;
  lastRevision: number;
  lastClose: number;
  bars: number;
  indicators: JsonObject;
}

/** Row values arrive as a Float64Array with NaN for "no value"; the row carries null there. */
type RowBuilder = (values: Float64Array) => Record<string, number | null>;

/**
 * Builds the features object as one object literal with the names as constant keys: objects of
 * the same shape every bar, several times faster than adding 20-odd computed keys one by one.
 */
function rowBuilder(names: readonly string[]): RowBuilder {
  const reads = names.map((_, index) => `const x${index} = v[${index}];`).join('\n');
  const fields = names.map((name, index) => `${JSON.stringify(name)}: x${index} === x${index} ? x${index} : null`);
  // Generated on purpose: names are validated snake_case and quoted with JSON.stringify.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(
    'v',
    `${reads}\nreturn { ${fields.join(', ')} };\n//# sourceURL=generated/feature-row`,
  ) as RowBuilder;
}

/** Transforms as small integers, so that reading a row is a switch, not a closure per feature. */
const AS_IS = 0;
const DIVIDE_BY_CLOSE = 1;
const CLOSE_RELATIVE = 2;
const TRANSFORM_CODES: Readonly<Record<Transform, number>> = {
  none: AS_IS,
  divide_by_close: DIVIDE_BY_CLOSE,
  close_relative: CLOSE_RELATIVE,
};

/**
 * The indicators and feature readers of one (pair, timeframe).
 *
 * The hot path, per bar: one Checkpoint save (or restore, for a revision) covers every indicator
 * of the series, each indicator advances without building an output object, and each feature
 * reads its line straight from its indicator's `out` array. Features are held as parallel arrays
 * (indicator, line slot, transform) so that the loop touches only typed arrays and one class.
 */
class Series {
  /** The indicator instances by instance key (shared by features that read different lines). */
  readonly instances = new Map<string, BarIndicator>();
  private readonly indicators: BarIndicator[] = [];
  private readonly checkpoint: Checkpoint;
  /** Per indicator: whether its last advance left it warm (1) or not (0). */
  private readonly warm: Uint8Array;
  /** Per feature: its indicator's position in `indicators`, its output array, line slot and transform. */
  private readonly featureIndicator: Int32Array;
  private readonly featureOut: Float64Array[] = [];
  private readonly featureLine: Int32Array;
  private readonly featureTransform: Uint8Array;
  private readonly build: RowBuilder;
  private readonly values: Float64Array;
  /** The bar length of the timeframe, ms. */
  readonly stepMs: number;
  lastOpenTime = Number.NEGATIVE_INFINITY;
  lastRevision = -1;
  lastClose = Number.NaN;
  bars = 0;

  constructor(
    readonly pair: string,
    readonly timeframe: Timeframe,
    features: readonly FeatureDefinition[],
  ) {
    this.stepMs = timeframeMs(timeframe);
    const count = features.length;
    this.featureIndicator = new Int32Array(count);
    this.featureLine = new Int32Array(count);
    this.featureTransform = new Uint8Array(count);
    features.forEach((feature, f) => {
      let instance = this.instances.get(feature.instanceKey);
      if (instance === undefined) {
        const spec = INDICATOR_CATALOG.get(feature.indicator);
        if (spec === undefined)
          throw new AppError('INTERNAL', `feature ${feature.name}: unknown indicator ${feature.indicator}`);
        instance = spec.create(feature.params);
        this.instances.set(feature.instanceKey, instance);
        this.indicators.push(instance);
      }
      this.featureIndicator[f] = this.indicators.indexOf(instance);
      this.featureOut.push(instance.indicator.out);
      this.featureLine[f] = instance.indicator.lineIndex(feature.line);
      this.featureTransform[f] = TRANSFORM_CODES[feature.transform];
    });
    this.checkpoint = new Checkpoint(this.indicators.map((instance) => instance.indicator));
    this.warm = new Uint8Array(this.indicators.length);
    this.build = rowBuilder(features.map((feature) => feature.name));
    this.values = new Float64Array(count);
  }

  get started(): boolean {
    return this.bars > 0;
  }

  apply(bar: Bar, replace: boolean): void {
    if (replace) this.checkpoint.restore();
    else this.checkpoint.save();
    const indicators = this.indicators;
    const warm = this.warm;
    for (let i = 0; i < indicators.length; i += 1) warm[i] = indicators[i]?.advance(bar, replace) === true ? 1 : 0;
    if (!replace) this.bars += 1;
  }

  /** After restoring the indicators from a snapshot: take their warm flags. */
  syncWarm(): void {
    this.indicators.forEach((instance, i) => {
      this.warm[i] = instance.isWarm ? 1 : 0;
    });
  }

  /** The row's features: each line, transformed against the close; NaN (null in the row) if none. */
  features(close: number): Record<string, number | null> {
    const values = this.values;
    const warm = this.warm;
    const outs = this.featureOut;
    for (let f = 0; f < values.length; f += 1) {
      const line = outs[f]?.[this.featureLine[f] ?? 0] ?? Number.NaN;
      let value = Number.NaN;
      if (warm[this.featureIndicator[f] ?? 0] === 1) {
        switch (this.featureTransform[f]) {
          case DIVIDE_BY_CLOSE:
            value = line / close;
            break;
          case CLOSE_RELATIVE:
            value = close / line - 1;
            break;
          default:
            value = line;
        }
      }
      values[f] = Number.isFinite(value) ? value : Number.NaN;
    }
    return this.build(values);
  }
}

/**
 * Turns a stream of candles per (pair, timeframe) into feature rows. Pure: candles in, rows out,
 * no clock and no I/O, so live, replay and backfill run this same code. A new bar updates every
 * indicator; a higher revision of the last bar replaces it (exactly, see Indicator.replace). Its
 * state per series snapshots to JSON and restores, so a restart has no gap and no second warm-up.
 */
export class FeatureEngine {
  /** Series by pair, then timeframe (no key string to build per candle). */
  private readonly series = new Map<string, Map<string, Series>>();
  private readonly timeframes: ReadonlySet<string>;

  constructor(readonly featureSet: FeatureSet) {
    this.timeframes = new Set(featureSet.timeframes);
  }

  accepts(timeframe: string): boolean {
    return this.timeframes.has(timeframe);
  }

  /** Whether the engine holds state for the series (from candles or a restored snapshot). */
  has(pair: string, timeframe: string): boolean {
    return this.find(pair, timeframe)?.started ?? false;
  }

  /** The open time of the last bar applied to the series, if any. */
  lastOpenTime(pair: string, timeframe: string): number | undefined {
    const series = this.find(pair, timeframe);
    return series?.started === true ? series.lastOpenTime : undefined;
  }

  apply(candle: Candle): CandleOutcome {
    if (!this.timeframes.has(candle.timeframe)) return { kind: 'ignored', reason: 'timeframe' };
    const series = this.seriesFor(candle.pair, candle.timeframe);
    if (series.started) {
      if (candle.openTime < series.lastOpenTime)
        return { kind: 'ignored', reason: candle.revision > 0 ? 'late-revision' : 'duplicate' };
      if (candle.openTime === series.lastOpenTime) {
        if (candle.revision < series.lastRevision) return { kind: 'ignored', reason: 'stale-revision' };
        if (candle.revision === series.lastRevision) return { kind: 'ignored', reason: 'duplicate' };
        series.apply(candle, true);
        series.lastRevision = candle.revision;
        series.lastClose = candle.close;
        return { kind: 'rows', rows: [this.row(series, candle)], revised: true, gapFilled: 0 };
      }
    }
    const rows: FeatureRow[] = [];
    const gapFilled = series.started ? this.fillGap(series, candle, rows) : 0;
    series.apply(candle, false);
    series.lastOpenTime = candle.openTime;
    series.lastRevision = candle.revision;
    series.lastClose = candle.close;
    rows.push(this.row(series, candle));
    return { kind: 'rows', rows, revised: false, gapFilled };
  }

  /** Applies candles without keeping their rows (a warm-up from stored history). */
  warmUp(candles: Iterable<Candle>): number {
    let applied = 0;
    for (const candle of candles) if (this.apply(candle).kind === 'rows') applied += 1;
    return applied;
  }

  snapshot(pair: string, timeframe: string): SeriesSnapshot | undefined {
    const series = this.find(pair, timeframe);
    if (series === undefined || !series.started) return undefined;
    const indicators: JsonObject = {};
    for (const [key, instance] of series.instances) indicators[key] = instance.toJSON();
    return {
      v: 1,
      featureSet: this.featureSet.hash,
      pair,
      timeframe,
      lastOpenTime: series.lastOpenTime,
      lastRevision: series.lastRevision,
      lastClose: series.lastClose,
      bars: series.bars,
      indicators,
    };
  }

  /** Every series the engine holds. */
  seriesKeys(): { pair: string; timeframe: string }[] {
    return [...this.series.values()]
      .flatMap((byTimeframe) => [...byTimeframe.values()])
      .filter((s) => s.started)
      .map((s) => ({ pair: s.pair, timeframe: s.timeframe }));
  }

  /**
   * Restores a series from a snapshot. A snapshot of another feature set or an unconfigured
   * timeframe is refused (false): the caller then warms the series up from history instead.
   */
  restore(snapshot: SeriesSnapshot): boolean {
    if (snapshot.v !== 1 || snapshot.featureSet !== this.featureSet.hash || !this.timeframes.has(snapshot.timeframe))
      return false;
    const series = new Series(snapshot.pair, snapshot.timeframe, this.featuresOf(snapshot.timeframe));
    for (const [key, instance] of series.instances) {
      const state = snapshot.indicators[key];
      if (!isJsonObject(state))
        throw new AppError('INTERNAL', `snapshot of ${snapshot.pair} ${snapshot.timeframe} lacks indicator ${key}`);
      instance.restore(state);
    }
    series.syncWarm();
    series.lastOpenTime = snapshot.lastOpenTime;
    series.lastRevision = snapshot.lastRevision;
    series.lastClose = snapshot.lastClose;
    series.bars = snapshot.bars;
    this.place(series);
    return true;
  }

  /** Forgets a series (e.g. to roll back a failed batch before restoring its last snapshot). */
  drop(pair: string, timeframe: string): void {
    this.series.get(pair)?.delete(timeframe);
  }

  /** Names of the features rows of this timeframe carry, in order. */
  featureNames(timeframe: string): string[] {
    return this.featuresOf(timeframe).map((feature) => feature.name);
  }

  private find(pair: string, timeframe: string): Series | undefined {
    return this.series.get(pair)?.get(timeframe);
  }

  private place(series: Series): void {
    let byTimeframe = this.series.get(series.pair);
    if (byTimeframe === undefined) {
      byTimeframe = new Map();
      this.series.set(series.pair, byTimeframe);
    }
    byTimeframe.set(series.timeframe, series);
  }

  private seriesFor(pair: string, timeframe: Timeframe): Series {
    let series = this.find(pair, timeframe);
    if (series === undefined) {
      series = new Series(pair, timeframe, this.featuresOf(timeframe));
      this.place(series);
    }
    return series;
  }

  private featuresOf(timeframe: string): FeatureDefinition[] {
    return this.featureSet.features.filter((feature) => feature.timeframes.includes(timeframe));
  }

  /** Fills a hole before `candle` with empty bars carrying the last close, as trade-to-ohlc does live. */
  private fillGap(series: Series, candle: Candle, rows: FeatureRow[]): number {
    const step = series.stepMs;
    const missing = (candle.openTime - series.lastOpenTime) / step - 1;
    if (missing <= 0 || !Number.isInteger(missing) || missing > this.featureSet.gapFillMaxBars) return 0;
    for (let i = 1; i <= missing; i += 1) {
      const openTime = series.lastOpenTime + step;
      const empty = emptyCandle({
        pair: candle.pair,
        timeframe: candle.timeframe,
        openTime,
        closeTime: openTime + step,
        previousClose: series.lastClose,
      });
      series.apply(empty, false);
      series.lastOpenTime = openTime;
      series.lastRevision = 0;
      rows.push(this.row(series, empty));
    }
    return missing;
  }

  private row(series: Series, candle: Candle): FeatureRow {
    return {
      v: 1,
      featureSchemaVersion: this.featureSet.schemaVersion,
      pair: candle.pair,
      timeframe: candle.timeframe,
      time: candle.closeTime,
      close: candle.close,
      features: series.features(candle.close),
    };
  }
}
