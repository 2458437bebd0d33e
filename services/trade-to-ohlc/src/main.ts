import { createLogger, describeError } from '@crypto-predict/core';
import { buildApp } from './app.js';
import { readConfig, SERVICE } from './config.js';

const log = createLogger(SERVICE);
try {
  const config = readConfig();
  const app = buildApp(config, { log: createLogger(SERVICE, config.LOG_LEVEL) });
  const exit = (code: number) => () => {
    void app.stop().finally(() => process.exit(code));
  };
  process.once('SIGINT', exit(0));
  process.once('SIGTERM', exit(0));
  await app.start();
  app.finished.then(exit(0), (error: unknown) => {
    log.fatal({ err: describeError(error) }, 'trade-to-ohlc failed');
    exit(1)();
  });
} catch (error) {
  log.fatal({ err: describeError(error) }, 'trade-to-ohlc failed to start');
  process.exit(1);
}
