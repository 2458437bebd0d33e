import { runService } from '@crypto-predict/core';
import { buildApp } from './app.js';
import { readConfig, SERVICE } from './config.js';

// The app's `finished` settles when a finite replay is done (EXIT_AFTER_REPLAY=true) or fails.
await runService({ service: SERVICE, loadConfig: readConfig, build: (config, log) => buildApp(config, { log }) });
