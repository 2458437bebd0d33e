import {
  AppError,
  describeError,
  FEATURE_SCHEMA_VERSION,
  type FeatureRow,
  type Logger,
  type MlflowRegistry,
  type ModelVersionRef,
} from '@crypto-predict/core';
import {
  predictBatch,
  ServingLadder,
  type BatchOutcome,
  type PredictSettings,
  type PrimaryRole,
  type Refusal,
  type RungView,
  type ServableModel,
} from './domain/serving-ladder.js';
import type { ModelLoader } from './adapters/model-loader.js';
import { setServingRung, type PredictorMetrics } from './metrics.js';

/** Which version to serve: the one an alias points at (polled), or one pinned version. */
export type ModelSelector = { alias: string } | { version: string };

export interface RefusalReport {
  pair: string;
  model: { name: string; version: string };
  kind: Refusal['kind'];
  problems: string[];
}

export interface PairPredictorOptions {
  pair: string;
  timeframe: string;
  modelName: string;
  selector: ModelSelector;
  settings: PredictSettings;
  registry: MlflowRegistry;
  loader: ModelLoader;
  log: Logger;
  metrics: PredictorMetrics;
  /** Told of every refused model: it is an alert, not just a log line. */
  onRefusal: (report: RefusalReport) => Promise<void>;
}

/**
 * Serves one pair: watches the registry for the model to serve, loads and validates a new version
 * fully before it replaces the current one, and predicts batches of rows down the fallback ladder.
 */
export class PairPredictor {
  readonly ladder = new ServingLadder();
  private readonly refused = new Set<string>();
  private knownFeatures: Set<string> | null = null;
  private loading: Promise<void> | null = null;
  private inFlight = 0;
  private retired: ServableModel[] = [];
  private announced = '';

  constructor(private readonly options: PairPredictorOptions) {
    this.announce('start');
  }

  get role(): PrimaryRole {
    return 'alias' in this.options.selector && this.options.selector.alias === 'champion' ? 'champion' : 'pinned';
  }

  /** Checks the registry once; a load in progress is awaited rather than repeated. */
  async poll(): Promise<void> {
    if (this.loading !== null) return this.loading;
    this.loading = this.pollOnce().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** Predicts a batch of this pair's rows, in order, down the ladder as it stands when the batch starts. */
  async predict(rows: readonly FeatureRow[], createdAt: number): Promise<BatchOutcome> {
    const last = rows.at(-1);
    if (last !== undefined) this.knownFeatures = new Set(Object.keys(last.features));
    this.inFlight += 1;
    let outcome: BatchOutcome;
    try {
      outcome = await predictBatch(this.ladder, rows, this.options.settings, createdAt);
    } finally {
      this.inFlight -= 1;
    }
    for (const refusal of outcome.refusals) {
      this.refused.add(key(refusal.model));
      this.retire([refusal.model]);
      await this.reportRefusal(
        { name: refusal.model.name, version: refusal.model.version },
        refusal.kind,
        refusal.problems,
      );
    }
    if (outcome.refusals.length > 0) this.announce('model refused');
    await this.releaseRetired();
    return outcome;
  }

  top(): RungView {
    return this.ladder.top();
  }

  /** Releases every model; the predictor is not used after this. */
  async stop(): Promise<void> {
    await this.loading?.catch(() => undefined);
    this.retire(this.ladder.rungs().map((rung) => rung.model));
    await this.releaseRetired();
  }

  private async pollOnce(): Promise<void> {
    await this.checkRegistry();
    await this.releaseRetired();
  }

  private async checkRegistry(): Promise<void> {
    const { options } = this;
    const { pair } = options;
    let ref: ModelVersionRef | null;
    try {
      ref =
        'version' in options.selector
          ? await options.registry.getVersion(options.modelName, options.selector.version)
          : await options.registry.resolveAlias(options.modelName, options.selector.alias);
    } catch (error) {
      options.metrics.pollErrors.inc({ pair });
      options.log.warn(
        { pair, model: options.modelName, err: describeError(error) },
        'model registry poll failed; serving as before',
      );
      return;
    }
    const current = this.ladder.primaryModel();
    if (ref === null) {
      if (current !== null) {
        options.log.warn(
          { pair, model: options.modelName, selector: options.selector },
          'the served model is no longer selected in the registry',
        );
        this.retire(this.ladder.demotePrimary());
        this.announce('alias unset');
      }
      return;
    }
    if (current !== null && current.name === ref.name && current.version === ref.version) return;
    if (this.refused.has(key(ref))) return;

    options.log.info({ pair, model: `${ref.name}@${ref.version}`, source: ref.source }, 'loading model');
    try {
      const model = await options.loader.load(ref, {
        pair,
        timeframe: options.timeframe,
        featureSchemaVersion: FEATURE_SCHEMA_VERSION,
        knownFeatures: this.knownFeatures,
      });
      this.retire(this.ladder.install(model, this.role));
      options.metrics.loads.inc({ pair, outcome: 'loaded' });
      this.announce('model loaded');
    } catch (error) {
      const appError = AppError.from(error);
      if (appError.retryable) {
        options.metrics.loads.inc({ pair, outcome: 'retry' });
        options.log.warn(
          { pair, model: `${ref.name}@${ref.version}`, err: describeError(appError) },
          'model load failed; will retry at the next poll',
        );
        return;
      }
      options.metrics.loads.inc({ pair, outcome: 'refused' });
      this.refused.add(key(ref));
      const problems = Array.isArray(appError.details.problems)
        ? appError.details.problems.map(String)
        : [describeError(appError)];
      await this.reportRefusal({ name: ref.name, version: ref.version }, 'contract', problems);
      // What served until now is no longer what the registry selects: it serves on as `previous`.
      this.retire(this.ladder.demotePrimary());
      this.announce('model refused');
    }
  }

  private async reportRefusal(
    model: { name: string; version: string },
    kind: Refusal['kind'],
    problems: string[],
  ): Promise<void> {
    const { pair, metrics, log } = this.options;
    metrics.refusals.inc({ pair, kind });
    log.error(
      { pair, model: `${model.name}@${model.version}`, kind, problems, alert: true },
      `MODEL REFUSED: ${model.name}@${model.version} for ${pair}: ${problems.join('; ')}`,
    );
    try {
      await this.options.onRefusal({ pair, model, kind, problems });
    } catch (error) {
      log.error({ pair, err: describeError(error) }, 'could not publish the model-refused alert');
    }
  }

  /** Logs the rung that serves when it changes, and sets the gauge. */
  private announce(reason: string): void {
    const top = this.ladder.top();
    const text = top.model === null ? top.rung : `${top.rung} ${top.model.name}@${top.model.version}`;
    setServingRung(this.options.metrics, this.options.pair, top.rung);
    if (text === this.announced) return;
    this.announced = text;
    const fallbacks = this.ladder
      .rungs()
      .slice(1)
      .map((rung) => `${rung.rung} ${rung.model.name}@${rung.model.version}`);
    const line = {
      pair: this.options.pair,
      rung: top.rung,
      model: top.model,
      fallbacks: [...fallbacks, 'naive'],
      reason,
    };
    if (top.rung === 'naive') this.options.log.warn(line, `serving ${this.options.pair} NAIVE (no usable model)`);
    else this.options.log.info(line, `serving ${this.options.pair} from ${text}`);
  }

  private retire(models: ServableModel[]): void {
    const onLadder = new Set(this.ladder.rungs().map((rung) => rung.model));
    for (const model of models) if (!onLadder.has(model) && !this.retired.includes(model)) this.retired.push(model);
  }

  /** Releases models that left the ladder once no batch can still be running them. */
  private async releaseRetired(): Promise<void> {
    if (this.inFlight > 0 || this.retired.length === 0) return;
    const models = this.retired;
    this.retired = [];
    for (const model of models) await model.release?.().catch(() => undefined);
  }
}

function key(model: { name: string; version: string }): string {
  return `${model.name}@${model.version}`;
}
