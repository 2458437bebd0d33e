// Benchmark `sentiment`: accuracy, macro-F1 and items/s of every available sentiment backend of
// sentiment-extractor on the held-out test splits of the three labelled sets in shared/data
// (Financial PhraseBank AllAgree, Twitter financial news valid, CryptoLin), measured by the same
// code as its evaluation CLI (services/sentiment-extractor/src/adapters/evaluation.ts). The local
// LLM scores about one item a second on 2 cores, so it gets a fixed sample of each test split.
import { cpus, loadavg } from 'node:os';
import { createLogger } from '@crypto-predict/core';
import type { BenchOptions, BenchResult } from '../run.js';
import {
  evaluateBackends,
  type EvaluationBackend,
  type EvaluationRow,
} from '../../services/sentiment-extractor/src/adapters/evaluation.js';
import { DATASET_NAMES } from '../../services/sentiment-extractor/src/adapters/labelled-sets.js';
import { loadSentimentHead } from '../../services/sentiment-extractor/src/adapters/scoring/classifier-scorer.js';
import { loadServiceConfig } from '../../services/sentiment-extractor/src/config.js';

/** Test examples per dataset: every one for the fast methods, a fixed sample for LLMs. */
const SAMPLES = {
  full: { limit: undefined, llmLimit: 100 },
  quick: { limit: 150, llmLimit: 5 },
} as const;

/** The issue's targets for the default local method. */
const TARGETS = { phrasebankMacroF1: 0.75, cryptolinMacroF1: 0.65, itemsPerSecond: 20 } as const;

const log = (message: string): void => void process.stderr.write(`[sentiment] ${message}\n`);

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const config = loadServiceConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const sample = quick ? SAMPLES.quick : SAMPLES.full;
  const backends: EvaluationBackend[] = ['vader', 'lexicon', 'classifier', 'llm'];
  const unavailable: Array<{ backend: string; reason: string }> = [];
  // The OpenAI-compatible backend has a default URL (a local Ollama), but only a deployment that
  // names an endpoint has one to measure.
  if (process.env.OPENAI_BASE_URL === undefined || process.env.OPENAI_BASE_URL.trim() === '') {
    unavailable.push({
      backend: 'openai',
      reason: 'no OpenAI-compatible endpoint configured (set OPENAI_BASE_URL, OPENAI_MODEL and OPENAI_API_KEY)',
    });
  } else {
    backends.push('openai');
  }
  const loadStart = loadavg();
  log(
    `backends ${backends.join(', ')}; ${quick ? 'quick samples' : 'full test splits'} (LLM: ${sample.llmLimit} per set)`,
  );
  const evaluation = await evaluateBackends({
    backends,
    datasets: DATASET_NAMES,
    ...(sample.limit === undefined ? {} : { limit: sample.limit }),
    llmLimit: sample.llmLimit,
    config,
    log: createLogger('bench-sentiment', config.LOG_LEVEL),
    onRow: (row) =>
      log(
        `${row.backend} ${row.dataset}: n=${row.n} accuracy ${row.accuracy.toFixed(3)} macro-F1 ${row.macroF1.toFixed(3)} ${row.itemsPerSecond} items/s`,
      ),
    onProgress: (backend, dataset, done, total) => {
      if (done % 10 === 0 || done === total) log(`${backend} ${dataset}: ${done}/${total}`);
    },
  });
  unavailable.push(...evaluation.unavailable);
  // A model backend that never answered (every item fell back to the lexicon) measured the lexicon, not itself.
  const silent = [...new Set(evaluation.rows.map((row) => row.backend))].filter((backend) =>
    evaluation.rows.filter((row) => row.backend === backend).every((row) => row.n > 0 && row.fallbacks === row.n),
  );
  for (const backend of silent)
    unavailable.push({ backend, reason: 'it answered no item (every one fell back to the lexicon)' });
  const rows = evaluation.rows.filter((row) => !silent.includes(row.backend));
  for (const { backend, reason } of unavailable) log(`${backend} unavailable: ${reason}`);

  const results: Record<string, Record<string, unknown>> = {};
  for (const row of rows) {
    results[row.backend] ??= {};
    (results[row.backend] as Record<string, unknown>)[row.dataset] = {
      accuracy: row.accuracy,
      macro_f1: row.macroF1,
      items_per_s: row.itemsPerSecond,
      n: row.n,
      sample: row.sample,
      fallbacks: row.fallbacks,
      model: row.model,
    };
  }
  const trainedOn = rows.find((row) => row.trainedOn !== undefined)?.trainedOn;
  const head = await loadSentimentHead(config.modelPaths.head).catch(() => undefined);
  const splits = Object.fromEntries(
    evaluation.rows
      .filter((row) => row.backend === 'lexicon' || row.backend === 'vader')
      .map((r) => [r.dataset, r.split]),
  );
  const defaults = rows.filter((row) => row.backend === config.SCORER);
  const metric = (dataset: string): EvaluationRow | undefined => defaults.find((row) => row.dataset === dataset);
  const slowest = defaults.length === 0 ? undefined : Math.min(...defaults.map((row) => row.itemsPerSecond));
  const target = (value: number | undefined, goal: number) =>
    value === undefined ? { target: goal, value: null, met: false } : { target: goal, value, met: value >= goal };

  return {
    default_backend: config.SCORER,
    results,
    unavailable,
    held_out: {
      splits,
      llm_sample: `LLM backends score the first ${sample.llmLimit} examples of each test split in sha256(text) order (a fixed sample, the same every run); the others ${sample.limit === undefined ? 'the whole test split' : `the first ${sample.limit} in that order`}`,
      learned_methods: {
        classifier: {
          trained_on: trainedOn ?? 'head file unreadable',
          head: head?.kind ?? null,
          embedders: head?.embedders ?? null,
          selected_by: head?.options.selectedBy ?? null,
          validation_macro_f1: head?.options.validationMacroF1PerSet ?? null,
          note: 'trained on the training sides only; the test sides above are never seen in training or model selection. The sentence encoders (all-mpnet-base-v2, all-MiniLM-L6-v2) are the public sentence-transformers models, whose model cards list none of the three labelled sets among their training data; neither was fine-tuned here',
        },
      },
    },
    targets: {
      phrasebank_macro_f1: target(metric('phrasebank-allagree')?.macroF1, TARGETS.phrasebankMacroF1),
      cryptolin_macro_f1: target(metric('cryptolin')?.macroF1, TARGETS.cryptolinMacroF1),
      items_per_s: target(slowest, TARGETS.itemsPerSecond),
    },
    rows,
    cpus: cpus().length,
    load_average_start: loadStart.map((value) => Math.round(value * 100) / 100),
    load_average_end: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}
