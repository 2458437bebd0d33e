import { runService } from '@crypto-predict/core';
import { buildApp, SERVICE } from './app.js';
import { loadServiceConfig } from './config.js';

await runService({
  service: SERVICE,
  loadConfig: loadServiceConfig,
  build: (config, log) => {
    // A source that must stop the service (a refused API key) reports through onFatal.
    let fatal: (error: unknown) => void = () => undefined;
    const finished = new Promise<void>((_resolve, reject) => {
      fatal = reject;
    });
    const app = buildApp(config, { log, onFatal: (error) => fatal(error) });
    return { start: () => app.start(), stop: () => app.stop(), finished };
  },
});
