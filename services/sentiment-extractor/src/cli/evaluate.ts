/**
 * Scores the held-out test splits of the labelled sentiment sets with each backend and prints
 * accuracy, macro-F1 and items/s: a table, then one JSON line (the last line of output).
 *
 *   node --import tsx src/cli/evaluate.ts [--backends vader,lexicon,classifier,llm,openai]
 *        [--datasets phrasebank-allagree,twitter-fin,cryptolin] [--limit N] [--llm-limit N] [--out FILE]
 *
 * The measurement itself is src/adapters/evaluation.ts (shared with the `sentiment` benchmark),
 * which says how the sets are split and sampled.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createLogger, describeError } from '@crypto-predict/core';
import { EVALUATION_BACKENDS, evaluateBackends, type EvaluationBackend } from '../adapters/evaluation.js';
import { DATASET_NAMES, type DatasetName } from '../adapters/labelled-sets.js';
import { loadServiceConfig } from '../config.js';

function args(): {
  backends: EvaluationBackend[];
  datasets: DatasetName[];
  limit?: number;
  llmLimit: number;
  out?: string;
} {
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
  const count = (name: string): number | undefined => {
    const raw = value(name);
    if (raw === undefined) return undefined;
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} needs a whole number ≥ 1, got ${raw}`);
    return parsed;
  };
  const limit = count('limit');
  const out = value('out');
  return {
    backends: list('backends', EVALUATION_BACKENDS, ['vader', 'lexicon', 'classifier', 'llm']),
    datasets: list('datasets', DATASET_NAMES, DATASET_NAMES),
    ...(limit === undefined ? {} : { limit }),
    llmLimit: count('llm-limit') ?? 120,
    ...(out === undefined ? {} : { out }),
  };
}

async function main(): Promise<void> {
  const options = args();
  const config = loadServiceConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const log = createLogger('evaluate', config.LOG_LEVEL);
  const { rows, unavailable } = await evaluateBackends({
    ...options,
    config,
    log,
    onRow: (row) =>
      console.error(
        `${row.backend.padEnd(10)} ${row.dataset.padEnd(20)} n=${row.n} acc=${row.accuracy.toFixed(3)} macroF1=${row.macroF1.toFixed(3)} ${row.itemsPerSecond} items/s`,
      ),
    onProgress: (backend, dataset, done, total) => {
      if (done % 20 === 0 || done === total) process.stderr.write(`\r${backend} ${dataset}: ${done}/${total}`);
      if (done === total) process.stderr.write('\n');
    },
  });
  for (const { backend, reason } of unavailable) console.error(`${backend}: not available (${reason})`);

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
    cpus: cpus().length,
    time: new Date().toISOString(),
    rows,
    unavailable,
  };
  if (options.out !== undefined) writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(describeError(error));
  process.exit(1);
});
