import { createLogger, describeError } from '@crypto-predict/core';
import { buildApp, SERVICE } from './app.js';
import { loadServiceConfig } from './config.js';

const log = createLogger(SERVICE);

async function main(): Promise<void> {
  const config = loadServiceConfig();
  const app = buildApp(config, { onFatal: (error) => fail(error) });
  const shutdown = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => fail(error),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  await app.start();
}

function fail(error: unknown): never {
  log.fatal({ err: describeError(error) }, 'sentiment-extractor failed');
  process.exit(1);
}

main().catch(fail);
