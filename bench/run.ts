// Entry point of `npm run bench -- NAME [--quick]`. Each benchmark is bench/NAME/index.ts exporting
// `run({ quick })`; its result is printed as one JSON object on the last line of output and written
// to bench/results/NAME.json. Progress goes to stderr so the last stdout line stays machine-readable.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchOptions {
  quick: boolean;
}

export type BenchResult = Record<string, unknown>;

export interface Benchmark {
  run(options: BenchOptions): Promise<BenchResult>;
}

const benchDir = fileURLToPath(new URL('./', import.meta.url));

function available(): string[] {
  return readdirSync(benchDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(`${benchDir}${entry.name}/index.ts`))
    .map((entry) => entry.name)
    .sort();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const name = args.find((arg) => !arg.startsWith('--'));
  const names = available();
  if (name === undefined || !names.includes(name)) {
    console.error(`usage: npm run bench -- NAME [--quick]\nbenchmarks: ${names.join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const module = (await import(pathToFileURL(`${benchDir}${name}/index.ts`).href)) as Benchmark;
  const started = Date.now();
  const result: BenchResult = {
    benchmark: name,
    quick,
    ...(await module.run({ quick })),
    started_at: new Date(started).toISOString(),
    wall_seconds: Math.round((Date.now() - started) / 100) / 10,
  };
  mkdirSync(`${benchDir}results`, { recursive: true });
  writeFileSync(`${benchDir}results/${name}.json`, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
