/**
 * Scores the held-out test splits of the labelled sentiment sets with each backend: accuracy,
 * macro-F1 and items/s per (backend, dataset). Used by the evaluation CLI (src/cli/evaluate.ts)
 * and the `sentiment` benchmark (bench/sentiment), so both report the same measurement.
 *
 * Splits (src/adapters/labelled-sets.ts): PhraseBank by sentence hash (30 % test, AllAgree
 * sentences of the test side); Twitter financial news: train file / valid file; CryptoLin by date
 * (≥ 2021-07-15 test). Methods that learn (the classifier) trained on the training sides only,
 * as their head file records. LLM backends are slow on a 2-core CPU, so they may score a fixed
 * sample of each test split: the first N examples in sha256(text) order, stated in each row.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describeError, type Logger } from '@crypto-predict/core';
import type { Config } from '../config.js';
import { classificationReport } from '../domain/classification-metrics.js';
import { CoinDetector } from '../domain/coins.js';
import { LexiconAnalyser } from '../domain/lexicon-scorer.js';
import { labelOf, type ScoredItem, type SentimentLabel } from '../domain/sentiment.js';
import { systemClock } from './clock.js';
import { loadLabelledSet, type DatasetName, type LabelledExample, type LabelledSet } from './labelled-sets.js';
import { buildScorer } from './scoring/build-scorer.js';
import { scoreAll, type NewsScorer } from './scoring/news-scorer.js';

export const EVALUATION_BACKENDS = ['vader', 'lexicon', 'classifier', 'llm', 'openai'] as const;
export type EvaluationBackend = (typeof EVALUATION_BACKENDS)[number];

export interface EvaluationRow {
  backend: EvaluationBackend;
  model: string;
  dataset: DatasetName;
  n: number;
  /** Which examples were scored: the full test split or a fixed sample of it. */
  sample: string;
  /** How the dataset is split into training and held-out test sides. */
  split: string;
  /** For methods that learn: the training sides they learned from (none saw a test side). */
  trainedOn?: Array<{ dataset: string; split: string; examples: number }>;
  accuracy: number;
  macroF1: number;
  itemsPerSecond: number;
  /** Items the backend did not answer, scored by the lexicon instead (counted with its label). */
  fallbacks: number;
}

export interface EvaluationRequest {
  backends: readonly EvaluationBackend[];
  datasets: readonly DatasetName[];
  /** Examples per test split for every backend (all when undefined). */
  limit?: number;
  /** Examples per test split for LLM backends (also capped by `limit`). */
  llmLimit: number;
  config: Config;
  log: Logger;
  /** Called with each row as soon as it is measured (progress). */
  onRow?: (row: EvaluationRow) => void;
  /** Called while an LLM works through a split (progress). */
  onProgress?: (backend: EvaluationBackend, dataset: string, done: number, total: number) => void;
}

export interface EvaluationResult {
  rows: EvaluationRow[];
  /** Backends that could not be built, with the reason. */
  unavailable: Array<{ backend: EvaluationBackend; reason: string }>;
}

/** The first `limit` examples in sha256(text) order: a fixed pseudo-random sample, the same on every run. */
export function sampleOf(examples: readonly LabelledExample[], limit: number | undefined): LabelledExample[] {
  if (limit === undefined || limit >= examples.length) return [...examples];
  const keyed = examples.map((example) => ({ example, key: createHash('sha256').update(example.text).digest('hex') }));
  return keyed
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, limit)
    .map(({ example }) => example);
}

export function isLlmBackend(backend: EvaluationBackend): boolean {
  return backend === 'llm' || backend === 'openai';
}

/** What the classifier's head file says it was trained on, if it can be read. */
function headTrainedOn(config: Config): EvaluationRow['trainedOn'] {
  if (!existsSync(config.modelPaths.head)) return undefined;
  try {
    const head = JSON.parse(readFileSync(config.modelPaths.head, 'utf8')) as { trainedOn?: EvaluationRow['trainedOn'] };
    return head.trainedOn;
  } catch {
    return undefined;
  }
}

export async function evaluateBackends(request: EvaluationRequest): Promise<EvaluationResult> {
  const { config, log } = request;
  const detector = new CoinDetector();
  const sets: LabelledSet[] = request.datasets.map((name) => loadLabelledSet(name, config.DATA_DIR));
  const result: EvaluationResult = { rows: [], unavailable: [] };

  for (const backend of request.backends) {
    let scorer: NewsScorer | undefined;
    if (backend !== 'vader') {
      try {
        scorer = await buildScorer(backend, config, { detector, clock: systemClock, log });
      } catch (error) {
        result.unavailable.push({ backend, reason: describeError(error) });
        continue;
      }
    }
    try {
      const llm = isLlmBackend(backend);
      const trainedOn = backend === 'classifier' ? headTrainedOn(config) : undefined;
      for (const set of sets) {
        const limit = llm ? Math.min(request.llmLimit, request.limit ?? Infinity) : request.limit;
        const examples = sampleOf(set.test, limit);
        const started = performance.now();
        let predicted: SentimentLabel[];
        let fallbacks = 0;
        let model = 'vader (npm vader-sentiment, ±0.05)';
        if (scorer === undefined) {
          predicted = examples.map((example) => labelOf(LexiconAnalyser.vaderOnly(example.text)));
        } else {
          const results: ScoredItem[] = [];
          const chunk = llm ? config.LLM_CONCURRENCY : 256;
          for (let start = 0; start < examples.length; start += chunk) {
            const inputs = examples.slice(start, start + chunk).map((example) => ({ title: example.text, coins: [] }));
            results.push(...(await scoreAll(scorer, inputs)));
            if (llm) request.onProgress?.(backend, set.name, start + inputs.length, examples.length);
          }
          predicted = results.map((scored) => scored.coins[0]?.label ?? 'neutral');
          fallbacks = results.filter((scored) => scored.fallbackReason !== undefined).length;
          model = results.find((scored) => scored.fallbackReason === undefined)?.model ?? results[0]?.model ?? backend;
        }
        const seconds = (performance.now() - started) / 1000;
        const report = classificationReport(
          examples.map((example) => example.label),
          predicted,
        );
        const row: EvaluationRow = {
          backend,
          model,
          dataset: set.name as DatasetName,
          n: report.n,
          sample:
            examples.length === set.test.length
              ? `full test split (${set.test.length})`
              : `first ${examples.length} of ${set.test.length} test examples in sha256(text) order (fixed sample)`,
          split: set.split,
          ...(trainedOn === undefined ? {} : { trainedOn }),
          accuracy: round(report.accuracy),
          macroF1: round(report.macroF1),
          itemsPerSecond: throughput(examples.length / Math.max(seconds, 1e-9)),
          fallbacks,
        };
        result.rows.push(row);
        request.onRow?.(row);
      }
    } finally {
      await scorer?.close?.();
    }
  }
  return result;
}

/** Items per second to 3 significant digits (an LLM on a busy machine does well under 1). */
function throughput(value: number): number {
  return Number(value.toPrecision(3));
}

function round(value: number, places = 4): number {
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
}
