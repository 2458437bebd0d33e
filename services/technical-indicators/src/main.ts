import { createLogger, describeError, type Logger } from '@crypto-predict/core';
import { buildApp, SERVICE } from './app.js';
import { loadServiceConfig } from './config.js';

let log: Logger = createLogger(SERVICE);
try {
  const config = loadServiceConfig();
  log = createLogger(SERVICE, config.LOG_LEVEL);
  const app = buildApp(config, { log });
  const shutdown = (signal: string): void => {
    log.info({ signal }, 'stopping');
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: describeError(error) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  await app.start();
} catch (error) {
  log.fatal({ err: describeError(error) }, `${SERVICE} failed`);
  process.exit(1);
}
