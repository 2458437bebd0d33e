import { join } from 'node:path';
import { REPO_ROOT, type ProcessGroup } from './processes.js';
import type { StackEnv } from '@crypto-predict/core';

/** The last line of a command's stdout, parsed as the JSON summary our CLIs print there. */
export function lastJsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new Error(`expected a JSON summary as the last line of output, got: ${last.slice(0, 200)}`);
  }
}

export interface Span {
  pair: string;
  timeframe: string;
  /** ISO date or time, inclusive. */
  from: string;
  /** ISO date or time, exclusive. */
  to: string;
}

/**
 * Computes features for the real candles of a span with the live service's engine and writes them
 * to the feature store; `saveState` leaves the engine state for a live service continuing at `to`.
 */
export async function backfillFeatures(
  group: ProcessGroup,
  stack: StackEnv,
  span: Span,
  options: { saveState: boolean; echo: boolean },
): Promise<Record<string, unknown>> {
  const stdout = await group.run({
    name: `backfill-${span.from}-${span.to}`.replace(/[^a-zA-Z0-9-]/g, ''),
    command: [
      join(REPO_ROOT, 'services/technical-indicators/src/cli/backfill.ts'),
      '--pair',
      span.pair,
      '--timeframe',
      span.timeframe,
      '--from',
      span.from,
      '--to',
      span.to,
      ...(options.saveState ? ['--save-state'] : []),
    ],
    env: { DATABASE_URL: stack.databaseUrl },
    echo: options.echo,
  });
  return lastJsonLine(stdout);
}

/** Trains, evaluates and registers a model with the Python trainer; returns its JSON summary. */
export async function trainModel(
  group: ProcessGroup,
  stack: StackEnv,
  span: Span & { modelName: string; horizons?: string },
  options: { echo: boolean },
): Promise<Record<string, unknown>> {
  const stdout = await group.run({
    name: `train-${span.modelName}`,
    command: [
      join(REPO_ROOT, '.venv/bin/python'),
      '-m',
      'crypto_trainer',
      'train',
      '--pair',
      span.pair,
      '--timeframe',
      span.timeframe,
      '--from',
      span.from,
      '--to',
      span.to,
      '--horizons',
      span.horizons ?? '1,5,15,60',
      '--model-name',
      span.modelName,
    ],
    env: { DATABASE_URL: stack.databaseUrl, MLFLOW_TRACKING_URI: stack.mlflowUri },
    echo: options.echo,
  });
  return lastJsonLine(stdout);
}

/** Creates an API key (stored hashed) and returns it. */
export async function createApiKey(group: ProcessGroup, stack: StackEnv, name: string): Promise<string> {
  const stdout = await group.run({
    name: `api-key-${name}`,
    command: [join(REPO_ROOT, 'services/predictions-api/src/cli/keys.ts'), 'create', '--name', name],
    env: { DATABASE_URL: stack.databaseUrl },
  });
  return stdout.trim();
}
