import type { Candle, PredictionError } from '@crypto-predict/core';
import { actualMissing, scorePrediction } from './score.js';
import type { ScorablePrediction } from './scorable-prediction.js';

/** The candle timeframe whose close is the actual of every prediction. */
export const ACTUAL_TIMEFRAME = '1m';

export interface JoinerOptions {
  /** How far a pair's candle watermark may pass a target time before its actual counts as missing. */
  graceMs: number;
  /**
   * How much event time (behind the pair's watermark) of 1m closes and of resolved predictions is
   * kept, so a late prediction still finds its actual and a revised candle can re-score.
   */
  retentionMs: number;
  /** Bound on pending predictions per pair (a halted pair sends no candles); the oldest go first. */
  maxPendingPerPair: number;
}

/** Why a prediction got the record it got. */
export type ResolutionCause =
  /** Its target candle was there (when the prediction came) or arrived. */
  | 'actual'
  /** The pair's candle watermark passed target + grace with no candle at the target. */
  | 'watermark'
  /** Its pair had too many pending predictions; the oldest were given up. */
  | 'pending-limit'
  /** Its target lies further behind the watermark than the monitor remembers. */
  | 'beyond-retention'
  /** A revised candle changed the close it had been scored on, or a late candle brought a missing actual. */
  | 'revision';

export interface Resolution {
  record: PredictionError;
  prediction: ScorablePrediction;
  cause: ResolutionCause;
  /** 'rescore' overwrites an earlier record of the same prediction (same id). */
  kind: 'first' | 'rescore';
  /** The prediction had been pending, so its persisted pending entry can go. */
  wasPending: boolean;
  /**
   * False when the monitor cannot know whether the prediction was scored before (beyond retention):
   * the record must only be stored if none exists yet, never overwrite a scored one.
   */
  overwrite: boolean;
}

export type Skip = 'duplicate-prediction' | 'not-1m' | 'stale-candle' | 'older-revision' | 'unchanged-candle';

export interface JoinResult {
  resolutions: Resolution[];
  /** Predictions that are now pending and must be persisted (crash safety). */
  pending: ScorablePrediction[];
  skipped: Skip | null;
}

interface Actual {
  close: number;
  revision: number;
}

interface ResolvedEntry {
  prediction: ScorablePrediction;
  /** The close it was scored on; null when it was recorded as actual-missing. */
  actual: number | null;
}

interface PairState {
  /** Max closeTime of the pair's 1m candles seen: the pair's event-time clock. */
  watermark: number | null;
  /** Max featureTime of the pair's predictions seen: the clock of a pair that sends no candles. */
  predictionClock: number | null;
  actuals: Map<number, Actual>;
  pending: Map<number, Map<string, ScorablePrediction>>;
  pendingCount: number;
  resolved: Map<number, Map<string, ResolvedEntry>>;
}

/**
 * Joins predictions with the 1m close at their target time, whichever arrives first. Pure: event
 * time comes from the candles (per-pair watermark), never from a clock.
 */
export class ActualJoiner {
  private readonly pairs = new Map<string, PairState>();

  constructor(private readonly options: JoinerOptions) {
    if (options.retentionMs <= options.graceMs) {
      throw new RangeError('the actuals retention must be longer than the grace period');
    }
    if (options.maxPendingPerPair < 1) throw new RangeError('maxPendingPerPair must be at least 1');
  }

  addPrediction(prediction: ScorablePrediction): JoinResult {
    const state = this.state(prediction.pair);
    const target = prediction.targetTime;
    state.predictionClock = Math.max(state.predictionClock ?? prediction.featureTime, prediction.featureTime);

    if (state.resolved.get(target)?.has(prediction.id) === true) {
      return { resolutions: [], pending: [], skipped: 'duplicate-prediction' };
    }
    const wasPending = state.pending.get(target)?.has(prediction.id) === true;
    const actual = state.actuals.get(target);
    if (actual !== undefined) {
      if (wasPending) this.removePending(state, prediction);
      return {
        resolutions: [this.resolve(state, prediction, actual.close, 'actual', wasPending)],
        pending: [],
        skipped: null,
      };
    }
    const watermark = state.watermark;
    if (watermark !== null && watermark > target + this.options.graceMs) {
      if (wasPending) this.removePending(state, prediction);
      const beyond = target < watermark - this.options.retentionMs;
      const resolution = this.resolve(state, prediction, null, beyond ? 'beyond-retention' : 'watermark', wasPending);
      return { resolutions: [{ ...resolution, overwrite: !beyond }], pending: [], skipped: null };
    }

    this.addPending(state, prediction, wasPending);
    const resolutions: Resolution[] = [];
    while (state.pendingCount > this.options.maxPendingPerPair) {
      const oldest = this.oldestPending(state);
      if (oldest === null) break;
      this.removePending(state, oldest);
      resolutions.push(this.resolve(state, oldest, null, 'pending-limit', true));
    }
    const stillPending = state.pending.get(target)?.has(prediction.id) === true;
    return { resolutions, pending: stillPending ? [prediction] : [], skipped: null };
  }

  addCandle(candle: Candle): JoinResult {
    if (candle.timeframe !== ACTUAL_TIMEFRAME) return { resolutions: [], pending: [], skipped: 'not-1m' };
    const state = this.state(candle.pair);
    const time = candle.closeTime;
    if (state.watermark !== null && time < state.watermark - this.options.retentionMs) {
      return { resolutions: [], pending: [], skipped: 'stale-candle' };
    }
    const previous = state.actuals.get(time);
    if (previous !== undefined && candle.revision < previous.revision) {
      return { resolutions: [], pending: [], skipped: 'older-revision' };
    }
    state.actuals.set(time, { close: candle.close, revision: candle.revision });
    const advanced = state.watermark === null || time > state.watermark;
    if (advanced) state.watermark = time;

    const resolutions: Resolution[] = [];
    // Already-resolved predictions of this target: re-score when the close differs from the one they
    // carry (a revision), or when they were given up as actual-missing and the candle came late.
    if (previous === undefined || previous.close !== candle.close) {
      const resolvedHere = state.resolved.get(time);
      for (const entry of sorted(resolvedHere?.values() ?? [])) {
        if (entry.actual === candle.close) continue;
        resolutions.push({
          ...this.resolve(state, entry.prediction, candle.close, 'revision', false),
          kind: 'rescore',
        });
      }
    }
    const waiting = state.pending.get(time);
    if (waiting !== undefined) {
      for (const prediction of sortedPredictions(waiting.values())) {
        this.removePending(state, prediction);
        resolutions.push(this.resolve(state, prediction, candle.close, 'actual', true));
      }
    }
    if (advanced) {
      resolutions.push(...this.resolveOverdue(state));
      this.prune(state);
    }
    const skipped =
      resolutions.length === 0 && previous !== undefined && previous.close === candle.close ? 'unchanged-candle' : null;
    return { resolutions, pending: [], skipped };
  }

  /** Seeds a remembered 1m close (restoring state after a restart); resolves nothing. */
  seedActual(pair: string, closeTime: number, close: number, revision: number): void {
    const state = this.state(pair);
    const previous = state.actuals.get(closeTime);
    if (previous !== undefined && previous.revision > revision) return;
    state.actuals.set(closeTime, { close, revision });
    if (state.watermark === null || closeTime > state.watermark) state.watermark = closeTime;
  }

  /** Seeds a prediction resolved before a restart, so duplicates are recognised and revisions re-score. */
  seedResolved(prediction: ScorablePrediction, actual: number | null): void {
    const state = this.state(prediction.pair);
    if (state.watermark !== null && prediction.targetTime < state.watermark - this.options.retentionMs) return;
    this.remember(state, prediction, actual);
  }

  watermark(pair: string): number | null {
    return this.pairs.get(pair)?.watermark ?? null;
  }

  pendingCount(pair: string): number {
    return this.pairs.get(pair)?.pendingCount ?? 0;
  }

  pairsSeen(): string[] {
    return [...this.pairs.keys()];
  }

  private resolveOverdue(state: PairState): Resolution[] {
    const watermark = state.watermark;
    if (watermark === null) return [];
    const overdue: ScorablePrediction[] = [];
    for (const [target, predictions] of state.pending) {
      if (watermark > target + this.options.graceMs) overdue.push(...predictions.values());
    }
    return sortedPredictions(overdue).map((prediction) => {
      this.removePending(state, prediction);
      return this.resolve(state, prediction, null, 'watermark', true);
    });
  }

  private resolve(
    state: PairState,
    prediction: ScorablePrediction,
    actual: number | null,
    cause: ResolutionCause,
    wasPending: boolean,
  ): Resolution {
    // scoredAt is the event time at which the outcome became known: the target time for a scored
    // record, target + grace for a missing actual. It does not depend on which of prediction and
    // candle came first, so a replay writes identical documents. Only a pair given up for having
    // too many pending predictions uses the pair's clock (it sent no candles to tell time by).
    let scoredAt: number;
    if (actual !== null) scoredAt = prediction.targetTime;
    else if (cause === 'pending-limit') {
      const clock = Math.max(
        state.watermark ?? Number.NEGATIVE_INFINITY,
        state.predictionClock ?? Number.NEGATIVE_INFINITY,
      );
      scoredAt = Number.isFinite(clock) ? clock : prediction.featureTime;
    } else scoredAt = prediction.targetTime + this.options.graceMs;
    const record =
      actual === null ? actualMissing(prediction, scoredAt) : scorePrediction(prediction, actual, scoredAt);
    this.remember(state, prediction, actual);
    return { record, prediction, cause, kind: 'first', wasPending, overwrite: true };
  }

  private remember(state: PairState, prediction: ScorablePrediction, actual: number | null): void {
    let atTarget = state.resolved.get(prediction.targetTime);
    if (atTarget === undefined) {
      atTarget = new Map();
      state.resolved.set(prediction.targetTime, atTarget);
    }
    atTarget.set(prediction.id, { prediction, actual });
  }

  private addPending(state: PairState, prediction: ScorablePrediction, replacing: boolean): void {
    let atTarget = state.pending.get(prediction.targetTime);
    if (atTarget === undefined) {
      atTarget = new Map();
      state.pending.set(prediction.targetTime, atTarget);
    }
    atTarget.set(prediction.id, prediction);
    if (!replacing) state.pendingCount += 1;
  }

  private removePending(state: PairState, prediction: ScorablePrediction): void {
    const atTarget = state.pending.get(prediction.targetTime);
    if (atTarget?.delete(prediction.id) !== true) return;
    state.pendingCount -= 1;
    if (atTarget.size === 0) state.pending.delete(prediction.targetTime);
  }

  private oldestPending(state: PairState): ScorablePrediction | null {
    let oldestTarget: number | null = null;
    for (const target of state.pending.keys()) {
      if (oldestTarget === null || target < oldestTarget) oldestTarget = target;
    }
    if (oldestTarget === null) return null;
    return sortedPredictions(state.pending.get(oldestTarget)?.values() ?? [])[0] ?? null;
  }

  /** Forgets closes and resolved predictions further behind the watermark than the retention. */
  private prune(state: PairState): void {
    if (state.watermark === null) return;
    const horizon = state.watermark - this.options.retentionMs;
    // Maps iterate in insertion order, which is close to time order; an out-of-order entry waits
    // until it reaches the front, so memory stays bounded by the retention plus stragglers.
    for (const time of state.actuals.keys()) {
      if (time >= horizon) break;
      state.actuals.delete(time);
    }
    for (const time of state.resolved.keys()) {
      if (time >= horizon) break;
      state.resolved.delete(time);
    }
  }

  private state(pair: string): PairState {
    let state = this.pairs.get(pair);
    if (state === undefined) {
      state = {
        watermark: null,
        predictionClock: null,
        actuals: new Map(),
        pending: new Map(),
        pendingCount: 0,
        resolved: new Map(),
      };
      this.pairs.set(pair, state);
    }
    return state;
  }
}

function sortedPredictions(predictions: Iterable<ScorablePrediction>): ScorablePrediction[] {
  return [...predictions].sort((a, b) => a.targetTime - b.targetTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function sorted(entries: Iterable<ResolvedEntry>): ResolvedEntry[] {
  return [...entries].sort((a, b) =>
    a.prediction.id < b.prediction.id ? -1 : a.prediction.id > b.prediction.id ? 1 : 0,
  );
}
