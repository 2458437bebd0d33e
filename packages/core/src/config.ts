import { z } from 'zod';
import { AppError } from './errors.js';

/**
 * Parses the environment once, at start-up, against a service's schema. Every problem is
 * reported at once, so a misconfigured deployment is fixed in one go rather than one var a run.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.map(String).join('.') || '(environment)';
    const got = issue.path.length === 1 ? env[String(issue.path[0])] : undefined;
    return got === undefined ? `${name}: ${issue.message}` : `${name}: ${issue.message} (got "${got}")`;
  });
  throw new AppError('CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`, {
    details: { problems },
  });
}

/** Building blocks for service config schemas: env vars arrive as strings. */
export const env = {
  string: (fallback?: string) => (fallback === undefined ? z.string().min(1) : z.string().min(1).default(fallback)),
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  int: (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback),
  number: (fallback: number) => z.coerce.number().finite().default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1' || value === 'yes'),
  url: (fallback: string) => z.url().default(fallback),
  list: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item.length > 0),
      ),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/** Settings every service shares: where Kafka is, how loud to log, where to serve /metrics. */
export const commonConfigShape = {
  KAFKA_BROKERS: env.string('127.0.0.1:19092'),
  LOG_LEVEL: env.logLevel(),
  /** Prefix for every topic name, so tests and several deployments can share one cluster. */
  TOPIC_PREFIX: z.string().default(''),
};
