/**
 * The one error type of the project. A code says what went wrong in terms a caller can act on,
 * `retryable` says whether trying again can help, and `cause` keeps the original error.
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'MESSAGE_INVALID',
  'REQUEST_INVALID',
  'UNAUTHORIZED',
  'RATE_LIMITED',
  'NOT_FOUND',
  'KAFKA_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_INVALID',
  'MODEL_UNAVAILABLE',
  'MODEL_CONTRACT_MISMATCH',
  'TIMEOUT',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes for which a retry may succeed unless the caller says otherwise. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set([
  'KAFKA_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'UPSTREAM_UNAVAILABLE',
  'MODEL_UNAVAILABLE',
  'TIMEOUT',
  'RATE_LIMITED',
]);

export interface AppErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.details = options.details ?? {};
  }

  /** Wraps anything thrown into an AppError, keeping an AppError as it is. */
  static from(error: unknown, code: ErrorCode = 'INTERNAL', message?: string): AppError {
    if (error instanceof AppError) return error;
    const text = message ?? (error instanceof Error ? error.message : String(error));
    return new AppError(code, text, { cause: error });
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** A one-line description of an error and its causes, for logs and dead-letter reasons. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth += 1) {
    if (current instanceof AppError) parts.push(`${current.code}: ${current.message}`);
    else if (current instanceof Error) parts.push(current.message);
    else parts.push(typeof current === 'string' ? current : JSON.stringify(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' <- ');
}
