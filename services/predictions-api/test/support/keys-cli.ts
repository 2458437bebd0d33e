import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../src/cli/keys.ts', import.meta.url));

/** Runs the keys CLI as an operator would, against a given database schema. */
export async function keysCli(
  args: string[],
  env: { DATABASE_URL: string; DATABASE_SCHEMA: string },
): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env }, timeout: 30_000 });
}
