import { AppError } from '@crypto-predict/core';

/** SQLSTATE classes where trying again can help: connection, resources, operator intervention, serialization. */
const RETRYABLE_SQLSTATE = /^(08|53|57P|40001|40P01)/;

/**
 * Wraps a node-postgres failure in the project's error type: an unreachable or overloaded server
 * is STORE_UNAVAILABLE (retryable), anything else (bad SQL, constraint) is INTERNAL and not.
 */
export function storeError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const unavailable = code === '' || RETRYABLE_SQLSTATE.test(code) || /^E[A-Z]+$/.test(code);
  const message = error instanceof Error ? error.message : String(error);
  return new AppError(unavailable ? 'STORE_UNAVAILABLE' : 'INTERNAL', `${what}: ${message}`, {
    cause: error,
    retryable: unavailable,
    details: { sqlstate: code },
  });
}
