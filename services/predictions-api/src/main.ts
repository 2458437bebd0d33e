import cluster from 'node:cluster';
import { runService } from '@crypto-predict/core';
import { buildApi, SERVICE } from './app.js';
import { clusterPrimary } from './cluster.js';
import { loadApiConfig } from './config.js';

await runService({
  service: SERVICE,
  loadConfig: loadApiConfig,
  build: (config, log) =>
    config.WORKERS > 1 && cluster.isPrimary
      ? clusterPrimary(config, log)
      : buildApi(config, { log, clusterWorker: cluster.isWorker }),
});
