import { runService } from '@crypto-predict/core';
import { buildDashboard, SERVICE } from './app.js';
import { loadDashboardConfig } from './config.js';

await runService({
  service: SERVICE,
  loadConfig: loadDashboardConfig,
  build: (config, log) => buildDashboard(config, { log }),
});
