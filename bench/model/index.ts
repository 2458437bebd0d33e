// Benchmark `model`: train on 2023-2024, test on the 2025 candles, through the code that serves live.
//
// 1. The real Binance 1-minute candles (shared/data) go through the technical-indicators backfill
//    CLI (the live service's FeatureEngine, default feature set) into a feature store database of
//    this run's own, from the first training day to the end of the test span in one pass, so the
//    test rows' indicators continue from training history exactly as live ones would.
// 2. The Python trainer (`python -m crypto_trainer train`, a subprocess) fits every candidate on the
//    training span, picks one on validation MAE, and registers it in MLflow as ONNX + contract.
// 3. The registered version is downloaded and opened by the price-predictor's own ModelLoader
//    (contract checks, onnxruntime-node), and every test row is predicted with the predictor's
//    domain code (featureVector, modelPrediction: the served price and interval).
// 4. Each prediction is scored against the close `h` minutes later, beside the naive last price.
//
// Volatility terciles: the test rows split into thirds by the value of the contract's volatility
// feature (the one the interval scales with), known at prediction time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  FEATURE_SCHEMA_VERSION,
  MlflowRegistry,
  stackEnv,
  withDatabase,
  type FeatureRow,
  type ServedModel,
} from '@crypto-predict/core';
import { uniquePrefix } from '@crypto-predict/core/testing';
import { createPool, trainingFrame } from '@crypto-predict/feature-store';
import type { BenchOptions, BenchResult } from '../run.js';
import { lastJsonLine } from '../../scripts/lib/jobs.js';
import { ProcessGroup, REPO_ROOT } from '../../scripts/lib/processes.js';
import { ModelLoader } from '../../services/price-predictor/src/adapters/model-loader.js';
import { featureVector } from '../../services/price-predictor/src/domain/contract-check.js';
import { modelPrediction } from '../../services/price-predictor/src/domain/predictions.js';
import { round } from '../lib/stats.js';
import { scoreHorizon, type HorizonScore, type ScoredRow } from './score.js';

const PAIR = 'BTC/USDT';
const TIMEFRAME = '1m';
const HORIZONS = [1, 5, 15, 60];
const MINUTE = 60_000;
const BATCH = 4096;
const PAGE_DAYS = 30;

interface Spans {
  train: { from: string; to: string };
  test: { from: string; to: string };
}

// Quick: two months to train on, the first week of 2025 to test on (same code path, ~1/15 the rows).
const FULL: Spans = {
  train: { from: '2023-01-01', to: '2025-01-01' },
  test: { from: '2025-01-01', to: '2025-12-01' },
};
const QUICK: Spans = {
  train: { from: '2024-11-01', to: '2025-01-01' },
  test: { from: '2025-01-01', to: '2025-01-08' },
};

const TARGETS = {
  maeRatioBelow: 1.0,
  directionalAccuracy1m: 0.53,
  coverageBand: [0.88, 0.92] as const,
  tercileWithin: 0.04,
};

const log = (message: string): void => void process.stderr.write(`[model] ${message}\n`);
const ms = (date: string): number => Date.parse(`${date}T00:00:00Z`);

async function admin(databaseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const spans = quick ? QUICK : FULL;
  const base = stackEnv();
  const id = uniquePrefix('bench-model');
  const database = id.replace(/-/g, '_');
  const databaseUrl = withDatabase(base.databaseUrl, database);
  const modelName = `price-${id}`;
  const group = new ProcessGroup(join(REPO_ROOT, '.data', 'bench-logs', id));
  const cacheDir = mkdtempSync(join(tmpdir(), 'bench-model-'));
  log(`database ${database}, model ${modelName}, logs .data/bench-logs/${id}`);
  await admin(base.databaseUrl, `CREATE DATABASE ${database}`);
  try {
    // 1. Features: the technical-indicators backfill over train + test in one pass.
    let started = performance.now();
    log(`backfilling features ${spans.train.from} → ${spans.test.to} (technical-indicators backfill CLI)`);
    const backfill = lastJsonLine(
      await group.run({
        name: 'backfill',
        command: [
          join(REPO_ROOT, 'services/technical-indicators/src/cli/backfill.ts'),
          ...['--pair', PAIR, '--timeframe', TIMEFRAME, '--from', spans.train.from, '--to', spans.test.to],
        ],
        env: { DATABASE_URL: databaseUrl },
      }),
    );
    const backfillSeconds = (performance.now() - started) / 1000;
    log(`backfill: ${String(backfill.rows)} rows in ${backfillSeconds.toFixed(1)} s`);

    // 2. Training: the Python trainer, as scripts/main.sh and the scheduled trainer run it.
    started = performance.now();
    log(`training on ${spans.train.from} → ${spans.train.to} (python -m crypto_trainer train)`);
    const trainerOut = await group.run({
      name: 'train',
      command: [
        join(REPO_ROOT, '.venv/bin/python'),
        ...['-m', 'crypto_trainer', 'train', '--pair', PAIR, '--timeframe', TIMEFRAME],
        ...['--from', spans.train.from, '--to', spans.train.to, '--horizons', HORIZONS.join(',')],
        ...['--model-name', modelName, '--experiment', 'bench-model'],
      ],
      env: { DATABASE_URL: databaseUrl, MLFLOW_TRACKING_URI: base.mlflowUri },
      echo: true,
    });
    const trainSeconds = (performance.now() - started) / 1000;
    const trained = lastJsonLine(trainerOut);
    if (trained.ok !== true) throw new Error(`training failed: ${JSON.stringify(trained.error)}`);
    const version = String(trained.version);
    log(`registered ${modelName} v${version} (${String(trained.modelKind)}) in ${trainSeconds.toFixed(1)} s`);

    // 3. The registered artifact, loaded and checked by the predictor's own loader.
    const registry = new MlflowRegistry(base.mlflowUri);
    const ref = await registry.getVersion(modelName, version);
    if (ref === null) throw new Error(`${modelName} v${version} is not in the registry`);
    const pool = createPool(databaseUrl, { applicationName: 'bench-model', max: 2 });
    try {
      const first = await trainingFrame(pool, {
        pair: PAIR,
        timeframe: TIMEFRAME,
        from: ms(spans.test.from),
        to: ms(spans.test.from) + 10 * MINUTE,
      });
      const knownFeatures = new Set(Object.keys(first[0]?.features ?? {}));
      const model = await new ModelLoader(registry, cacheDir).load(ref, {
        pair: PAIR,
        timeframe: TIMEFRAME,
        featureSchemaVersion: FEATURE_SCHEMA_VERSION,
        knownFeatures,
      });
      const { contract } = model;
      const served: ServedModel = { name: modelName, version, servedBy: 'pinned' };

      // 4. Predict every test row in batches, as the predictor does, and score against the realised close.
      started = performance.now();
      const testFrom = ms(spans.test.from);
      const testTo = ms(spans.test.to);
      const maxHorizon = Math.max(...HORIZONS) * MINUTE;
      const rows: FeatureRow[] = [];
      for (let from = testFrom; from < testTo + maxHorizon; from += PAGE_DAYS * 1440 * MINUTE) {
        const to = Math.min(from + PAGE_DAYS * 1440 * MINUTE, testTo + maxHorizon);
        rows.push(...(await trainingFrame(pool, { pair: PAIR, timeframe: TIMEFRAME, from, to })));
      }
      const closeAt = new Map(rows.map((row) => [row.time, row.close]));
      const scored = new Map<number, ScoredRow[]>(HORIZONS.map((h) => [h, []]));
      let predicted = 0;
      let warmingUp = 0;
      const testRows = rows.filter((row) => row.time >= testFrom && row.time < testTo);
      for (let i = 0; i < testRows.length; i += BATCH) {
        const batch: { row: FeatureRow; volatility: number; inputs: number[] }[] = [];
        for (const row of testRows.slice(i, i + BATCH)) {
          const vector = featureVector(contract, row);
          if (vector === null) warmingUp += 1;
          else batch.push({ row, ...vector });
        }
        if (batch.length === 0) continue;
        const outputs = await model.run(batch.map((item) => item.inputs));
        batch.forEach((item, k) => {
          predicted += 1;
          contract.horizons.forEach((horizon, j) => {
            const actual = closeAt.get(item.row.time + horizon * MINUTE);
            const logReturn = outputs[k]?.[j];
            if (actual === undefined || logReturn === undefined) return;
            const prediction = modelPrediction({
              row: item.row,
              contract,
              horizon,
              logReturn,
              volatility: item.volatility,
              model: served,
              createdAt: item.row.time,
            });
            if (prediction === null) return;
            scored.get(horizon)?.push({
              close: item.row.close,
              actual,
              predictedPrice: prediction.predictedPrice,
              predictedLogReturn: prediction.predictedLogReturn,
              lower: prediction.lower,
              upper: prediction.upper,
              volatility: item.volatility,
            });
          });
        });
      }
      await model.release();
      const evalSeconds = (performance.now() - started) / 1000;

      const perHorizon: Record<string, HorizonScore> = {};
      for (const horizon of HORIZONS) perHorizon[String(horizon)] = scoreHorizon(scored.get(horizon) ?? []);
      const h1 = perHorizon['1'];
      const scores = Object.values(perHorizon);
      const targetsMet = {
        mae_ratio_below_1_every_horizon: scores.every((s) => s.mae_ratio_vs_naive < TARGETS.maeRatioBelow),
        directional_accuracy_1m_at_least_53pct: (h1?.directional_accuracy ?? 0) >= TARGETS.directionalAccuracy1m,
        coverage_within_88_92pct: scores.every(
          (s) => s.coverage_90 >= TARGETS.coverageBand[0] && s.coverage_90 <= TARGETS.coverageBand[1],
        ),
        coverage_by_vol_tercile_within_4pts: scores.every((s) =>
          s.coverage_90_by_vol_tercile.every((c) => Math.abs(c - contract.intervals.coverage) <= TARGETS.tercileWithin),
        ),
      };
      const result: BenchResult = {
        pair: PAIR,
        timeframe: TIMEFRAME,
        train_span: spans.train,
        test_span: spans.test,
        candidate_won: trained.modelKind,
        model: `${modelName}@${version}`,
        volatility_feature: contract.intervals.volatilityFeature,
        features: contract.features.length,
        champion_gate: trained.champion,
        per_horizon: perHorizon,
        targets_met: targetsMet,
        candidates: trained.candidates,
        train_seconds: round(trainSeconds, 1),
        trainer_fit_seconds: trained.fitSeconds,
        backfill_seconds: round(backfillSeconds, 1),
        eval_seconds: round(evalSeconds, 1),
        test_rows: testRows.length,
        test_rows_predicted: predicted,
        test_rows_warming_up: warmingUp,
        trainer_rows: trained.rows,
        evaluated_by: 'price-predictor ModelLoader + onnxruntime-node, featureVector/modelPrediction',
      };
      return result;
    } finally {
      await pool.end();
    }
  } finally {
    await group.stopAll();
    rmSync(cacheDir, { recursive: true, force: true });
    await fetch(`${base.mlflowUri}/api/2.0/mlflow/registered-models/delete`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: modelName }),
    }).catch(() => undefined);
    await admin(base.databaseUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch((error: unknown) =>
      log(`could not drop ${database}: ${String(error)}`),
    );
  }
}
