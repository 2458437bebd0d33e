import { runService } from '@crypto-predict/core';
import { buildApp, SERVICE } from './app.js';
import { loadServiceConfig } from './config.js';

await runService({
  service: SERVICE,
  loadConfig: loadServiceConfig,
  build: (config, log) => buildApp(config, { log }),
});
