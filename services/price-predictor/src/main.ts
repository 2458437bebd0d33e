import { runService } from '@crypto-predict/core';
import { buildPredictor, SERVICE } from './app.js';
import { loadPredictorConfig } from './config.js';

await runService({
  service: SERVICE,
  loadConfig: loadPredictorConfig,
  build: (config, log) => buildPredictor(config, { log }),
});
