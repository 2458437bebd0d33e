import { runService } from '@crypto-predict/core';
import { buildMonitor, SERVICE } from './app.js';
import { loadMonitorConfig } from './config.js';

await runService({
  service: SERVICE,
  loadConfig: loadMonitorConfig,
  build: (config, log) => buildMonitor(config, { log }),
});
