import type { FeatureRow, ModelContract, Prediction } from '@crypto-predict/core';
import { featureVector, rowMismatch } from './contract-check.js';
import { modelPrediction, naivePrediction } from './predictions.js';

/** A loaded, validated model: its identity, its contract and a way to run it. */
export interface ServableModel {
  readonly name: string;
  readonly version: string;
  readonly contract: ModelContract;
  /**
   * Runs the model on rows of inputs in contract feature order; resolves one row of log returns
   * per input row, one value per contract horizon, in contract order.
   */
  run(inputs: readonly (readonly number[])[]): Promise<number[][]>;
  /** Frees the model's resources once no batch uses it. */
  release?(): Promise<void>;
}

/** How the model at the top of the ladder was chosen: by the champion alias, or pinned by config. */
export type PrimaryRole = 'champion' | 'pinned';
export type Rung = PrimaryRole | 'previous' | 'naive';

export interface RungView {
  rung: Rung;
  model: { name: string; version: string } | null;
}

/** Why a model was taken off the ladder: a contract that does not fit the rows, or a failed run. */
export interface Refusal {
  model: ServableModel;
  kind: 'contract' | 'runtime';
  problems: string[];
}

/**
 * The fallback ladder of one pair: the primary model (champion or pinned), then the previous model
 * (the last good one this process loaded), then naive. Changes (install, refuse) take effect for the
 * next batch: a batch reads the ladder once, so a swap happens between rows, never within one.
 */
export class ServingLadder {
  private primary: { model: ServableModel; role: PrimaryRole } | null = null;
  private previous: ServableModel | null = null;

  /**
   * Puts a validated model at the top; the model it replaces becomes `previous`. Returns models
   * that left the ladder (their resources can be released once no batch uses them).
   */
  install(model: ServableModel, role: PrimaryRole): ServableModel[] {
    const retired: ServableModel[] = [];
    if (this.primary !== null && this.primary.model !== model) {
      if (this.previous !== null && this.previous !== model) retired.push(this.previous);
      this.previous = this.primary.model;
    }
    this.primary = { model, role };
    return retired;
  }

  /** The primary slot empties (its alias was unset or moved to a refused version); it becomes `previous`. */
  demotePrimary(): ServableModel[] {
    if (this.primary === null) return [];
    const retired = this.previous === null ? [] : [this.previous];
    this.previous = this.primary.model;
    this.primary = null;
    return retired;
  }

  /** Takes a model off the ladder wherever it is. */
  remove(model: ServableModel): void {
    if (this.primary?.model === model) this.primary = null;
    if (this.previous === model) this.previous = null;
  }

  /** The model rungs, top first; naive is always below them. */
  rungs(): { model: ServableModel; rung: Rung }[] {
    const rungs: { model: ServableModel; rung: Rung }[] = [];
    if (this.primary !== null) rungs.push({ model: this.primary.model, rung: this.primary.role });
    if (this.previous !== null) rungs.push({ model: this.previous, rung: 'previous' });
    return rungs;
  }

  /** The rung rows are served from when all is well. */
  top(): RungView {
    const first = this.rungs()[0];
    return first === undefined
      ? { rung: 'naive', model: null }
      : { rung: first.rung, model: { name: first.model.name, version: first.model.version } };
  }

  primaryModel(): ServableModel | null {
    return this.primary?.model ?? null;
  }
}

export interface PredictSettings {
  /** The horizons served, in minutes, in output order. */
  horizons: readonly number[];
  /** Coverage of the naive interval and its z (two-sided normal quantile). */
  naiveCoverage: number;
  naiveZ: number;
  /** The feature the naive interval takes its per-candle volatility from. */
  naiveVolatilityFeature: string;
  candleMinutes: number;
}

export interface BatchOutcome {
  /** Every prediction of the batch, row by row, horizons in `settings.horizons` order. */
  predictions: Prediction[];
  /** Rows served per rung. */
  rows: Record<Rung, number>;
  /** Row-horizons with no prediction at all: warm-up with no volatility yet. */
  skipped: number;
  refusals: Refusal[];
}

interface Pending {
  index: number;
  row: FeatureRow;
  /** First rung this row may still be served from. */
  from: number;
}

/**
 * Predicts every row of a batch down the ladder. A model whose contract does not fit a row, or whose
 * run fails, is refused (taken off the ladder) and the rows go one rung down; a row with a feature
 * still warming up is served naive. `createdAt` is the wall clock, passed in.
 */
export async function predictBatch(
  ladder: ServingLadder,
  rows: readonly FeatureRow[],
  settings: PredictSettings,
  createdAt: number,
): Promise<BatchOutcome> {
  const rungs = ladder.rungs();
  const refused = new Set<ServableModel>();
  const refusals: Refusal[] = [];
  const perRow: Prediction[][] = rows.map(() => []);
  const counts: Record<Rung, number> = { champion: 0, pinned: 0, previous: 0, naive: 0 };
  let skipped = 0;

  const naiveFor = (row: FeatureRow, horizon: number): Prediction | null => {
    const prediction = naivePrediction({
      row,
      horizon,
      volatility: row.features[settings.naiveVolatilityFeature] ?? null,
      z: settings.naiveZ,
      coverage: settings.naiveCoverage,
      candleMinutes: settings.candleMinutes,
      createdAt,
    });
    if (prediction === null) skipped += 1;
    return prediction;
  };
  const serveNaive = (item: Pending): void => {
    counts.naive += 1;
    for (const horizon of settings.horizons) {
      const prediction = naiveFor(item.row, horizon);
      if (prediction !== null) perRow[item.index]?.push(prediction);
    }
  };
  const refuse = (model: ServableModel, kind: Refusal['kind'], problems: string[]): void => {
    if (refused.has(model)) return;
    refused.add(model);
    ladder.remove(model);
    refusals.push({ model, kind, problems });
  };

  let pending: Pending[] = rows.map((row, index) => ({ index, row, from: 0 }));
  while (pending.length > 0) {
    const byRung = new Map<number, { item: Pending; inputs: number[]; volatility: number }[]>();
    for (const item of pending) {
      let assigned = false;
      for (let r = item.from; r < rungs.length && !assigned; r += 1) {
        const rung = rungs[r];
        if (rung === undefined || refused.has(rung.model)) continue;
        const problems = rowMismatch(rung.model.contract, item.row);
        if (problems.length > 0) {
          refuse(rung.model, 'contract', problems);
          continue;
        }
        const vector = featureVector(rung.model.contract, item.row);
        if (vector === null) break; // warm-up: naive for this row
        const group = byRung.get(r) ?? [];
        group.push({ item, ...vector });
        byRung.set(r, group);
        assigned = true;
      }
      if (!assigned) serveNaive(item);
    }

    const next: Pending[] = [];
    for (const [r, group] of byRung) {
      const rung = rungs[r];
      if (rung === undefined) continue;
      const { model } = rung;
      let outputs: number[][];
      try {
        outputs = await model.run(group.map((entry) => entry.inputs));
        const width = model.contract.horizons.length;
        if (outputs.length !== group.length || outputs.some((output) => output.length !== width)) {
          throw new Error(
            `model returned ${outputs.length} rows for ${group.length} inputs, or rows not ${width} wide`,
          );
        }
      } catch (error) {
        refuse(model, 'runtime', [error instanceof Error ? error.message : String(error)]);
        for (const entry of group) next.push({ ...entry.item, from: r + 1 });
        continue;
      }
      group.forEach((entry, k) => {
        counts[rung.rung] += 1;
        const output = outputs[k] ?? [];
        for (const horizon of settings.horizons) {
          const column = model.contract.horizons.indexOf(horizon);
          const logReturn = column < 0 ? undefined : output[column];
          const prediction =
            logReturn === undefined
              ? null
              : modelPrediction({
                  row: entry.item.row,
                  contract: model.contract,
                  horizon,
                  logReturn,
                  volatility: entry.volatility,
                  model: { name: model.name, version: model.version, servedBy: rung.rung },
                  createdAt,
                });
          // A horizon the model does not cover, or an unusable output, is served naive.
          const served = prediction ?? naiveFor(entry.item.row, horizon);
          if (served !== null) perRow[entry.item.index]?.push(served);
        }
      });
    }
    pending = next;
  }
  return { predictions: perRow.flat(), rows: counts, skipped, refusals };
}
