/**
 * Scores the held-out test splits of the labelled sentiment sets with each backend and prints
 * accuracy, macro-F1 and items/s: a table, then one JSON line (the last line of output).
 *
 *   node --import tsx src/cli/evaluate.ts [--backends vader,lexicon,classifier,llm,openai]
 *        [--datasets phrasebank-allagree,twitter-fin,cryptolin] [--limit N] [--llm-limit N] [--out FILE]
 *
 * Splits (see src/adapters/labelled-sets.ts): PhraseBank by sentence hash (30 % test, AllAgree
 * sentences of the test side); Twitter financial news: train file / valid file; CryptoLin by
 * date (≥ 2021-07-15 test). Methods that learn (the classifier) trained on the training sides
 * only. LLM backends are slow on a 2-core CPU, so they score a fixed sample of each test split
 * (the first N examples in sha256(text) order), stated in the output.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createLogger, describeError } from '@crypto-predict/core';
import { systemClock } from '../adapters/clock.js';
import { DATASET_NAMES, loadLabelledSet, type DatasetName, type LabelledExample } from '../adapters/labelled-sets.js';
import { buildScorer } from '../adapters/scoring/build-scorer.js';
import { scoreAll, type NewsScorer } from '../adapters/scoring/news-scorer.js';
import { loadServiceConfig } from '../config.js';
import { classificationReport } from '../domain/classification-metrics.js';
import { CoinDetector } from '../domain/coins.js';
import { LexiconAnalyser } from '../domain/lexicon-scorer.js';
import { labelOf, type ScoredItem, type SentimentLabel } from '../domain/sentiment.js';

const BACKENDS = ['vader', 'lexicon', 'classifier', 'llm', 'openai'] as const;
type Backend = (typeof BACKENDS)[number];

interface Row {
  backend: Backend;
  model: string;
  dataset: DatasetName;
  n: number;
  sample: string;
  accuracy: number;
  macroF1: number;
  itemsPerSecond: number;
  fallbacks: number;
}

function args(): { backends: Backend[]; datasets: DatasetName[]; limit?: number; llmLimit: number; out?: string } {
  const argv = process.argv.slice(2);
  const value = (name: string): string | undefined => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const list = <T extends string>(name: string, allowed: readonly T[], fallback: readonly T[]): T[] => {
    const raw = value(name);
    if (raw === undefined) return [...fallback];
    const items = raw.split(',').map((item) => item.trim());
    const bad = items.filter((item) => !allowed.includes(item as T));
    if (bad.length > 0) throw new Error(`--${name}: unknown ${bad.join(', ')} (known: ${allowed.join(', ')})`);
    return items as T[];
  };
  const limit = value('limit');
  const out = value('out');
  return {
    backends: list('backends', BACKENDS, ['vader', 'lexicon', 'classifier', 'llm']),
    datasets: list('datasets', DATASET_NAMES, DATASET_NAMES),
    ...(limit === undefined ? {} : { limit: Number(limit) }),
    llmLimit: Number(value('llm-limit') ?? 120),
    ...(out === undefined ? {} : { out }),
  };
}

function sampleOf(examples: readonly LabelledExample[], limit: number | undefined): LabelledExample[] {
  if (limit === undefined || limit >= examples.length) return [...examples];
  const keyed = examples.map((example) => ({ example, key: createHash('sha256').update(example.text).digest('hex') }));
  return keyed
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, limit)
    .map(({ example }) => example);
}

async function main(): Promise<void> {
  const options = args();
  const config = loadServiceConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const log = createLogger('evaluate', config.LOG_LEVEL);
  const detector = new CoinDetector();
  const sets = options.datasets.map((name) => loadLabelledSet(name, config.DATA_DIR));
  const rows: Row[] = [];

  for (const backend of options.backends) {
    let scorer: NewsScorer | undefined;
    if (backend !== 'vader') {
      try {
        scorer = await buildScorer(backend === 'llm' || backend === 'openai' ? backend : backend, config, {
          detector,
          clock: systemClock,
          log,
        });
      } catch (error) {
        console.error(`${backend}: not available (${describeError(error)})`);
        continue;
      }
    }
    for (const set of sets) {
      const isLlm = backend === 'llm' || backend === 'openai';
      const limit = isLlm ? Math.min(options.llmLimit, options.limit ?? Infinity) : options.limit;
      const examples = sampleOf(set.test, limit);
      const started = performance.now();
      let predicted: SentimentLabel[];
      let fallbacks = 0;
      let model = 'vader (npm vader-sentiment, ±0.05)';
      if (scorer === undefined) {
        predicted = examples.map((example) => labelOf(LexiconAnalyser.vaderOnly(example.text)));
      } else {
        const results: ScoredItem[] = [];
        const chunk = isLlm ? config.LLM_CONCURRENCY : 256;
        for (let start = 0; start < examples.length; start += chunk) {
          const inputs = examples.slice(start, start + chunk).map((example) => ({ title: example.text, coins: [] }));
          results.push(...(await scoreAll(scorer, inputs)));
          if (isLlm && start % 20 === 0)
            process.stderr.write(`\r${backend} ${set.name}: ${start + inputs.length}/${examples.length}`);
        }
        if (isLlm) process.stderr.write('\n');
        predicted = results.map((result) => result.coins[0]?.label ?? 'neutral');
        fallbacks = results.filter((result) => result.fallbackReason !== undefined).length;
        model = results.find((result) => result.fallbackReason === undefined)?.model ?? results[0]?.model ?? backend;
      }
      const seconds = (performance.now() - started) / 1000;
      const report = classificationReport(
        examples.map((example) => example.label),
        predicted,
      );
      rows.push({
        backend,
        model,
        dataset: set.name as DatasetName,
        n: report.n,
        sample:
          examples.length === set.test.length
            ? `full test split (${set.split})`
            : `first ${examples.length} of ${set.test.length} by sha256(text) (${set.split})`,
        accuracy: round(report.accuracy),
        macroF1: round(report.macroF1),
        itemsPerSecond: round(examples.length / Math.max(seconds, 1e-9), 1),
        fallbacks,
      });
      const row = rows[rows.length - 1];
      if (row !== undefined)
        console.error(
          `${row.backend.padEnd(10)} ${row.dataset.padEnd(20)} n=${row.n} acc=${row.accuracy.toFixed(3)} macroF1=${row.macroF1.toFixed(3)} ${row.itemsPerSecond} items/s`,
        );
    }
    await scorer?.close?.();
  }

  console.log('');
  console.log('| backend | dataset | n | accuracy | macro-F1 | items/s | fallbacks | model |');
  console.log('|---|---|---:|---:|---:|---:|---:|---|');
  for (const row of rows) {
    console.log(
      `| ${row.backend} | ${row.dataset} | ${row.n} | ${row.accuracy.toFixed(3)} | ${row.macroF1.toFixed(3)} | ${row.itemsPerSecond} | ${row.fallbacks} | ${row.model} |`,
    );
  }
  const result = {
    name: 'sentiment-evaluation',
    cpus: (await import('node:os')).cpus().length,
    time: new Date().toISOString(),
    rows,
  };
  if (options.out !== undefined) writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result));
}

function round(value: number, places = 4): number {
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
}

main().catch((error: unknown) => {
  console.error(describeError(error));
  process.exit(1);
});
