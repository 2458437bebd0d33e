import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Structured JSON logs, one logger per service, tagged with the service name. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({ name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
}
