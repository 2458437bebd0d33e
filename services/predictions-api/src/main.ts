import { runService } from '@crypto-predict/core';
import { buildApi, SERVICE } from './app.js';
import { loadApiConfig } from './config.js';

await runService({ service: SERVICE, loadConfig: loadApiConfig, build: (config, log) => buildApi(config, { log }) });
