import { describeError } from './errors.js';
import { createLogger, type Logger } from './log.js';

/** What a service's app.ts builds: something that starts, stops, and may finish on its own. */
export interface RunnableService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves when the service is done by itself (a finite replay); rejects on a fatal error. */
  finished?: Promise<void>;
}

export interface RunServiceOptions<C extends { LOG_LEVEL: string }> {
  service: string;
  /** Reads and validates the environment; throws an AppError listing every problem. */
  loadConfig: () => C;
  build: (config: C, log: Logger) => RunnableService;
}

/**
 * The one top-level handler of every service's main.ts: load config, build, start, stop cleanly on
 * SIGINT/SIGTERM, and on any fatal error log it with its causes and exit non-zero.
 */
export async function runService<C extends { LOG_LEVEL: string }>(options: RunServiceOptions<C>): Promise<void> {
  let log = createLogger(options.service);
  const fail = (error: unknown, what: string): never => {
    log.fatal({ err: describeError(error) }, `${options.service} ${what}`);
    process.exit(1);
  };
  try {
    const config = options.loadConfig();
    log = createLogger(options.service, config.LOG_LEVEL);
    const app = options.build(config, log);
    let stopping = false;
    const stop = (reason: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ reason }, 'stopping');
      app.stop().then(
        () => process.exit(0),
        (error: unknown) => fail(error, 'failed to stop'),
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    await app.start();
    app.finished?.then(
      () => stop('finished'),
      (error: unknown) => fail(error, 'failed'),
    );
  } catch (error) {
    fail(error, 'failed to start');
  }
}
