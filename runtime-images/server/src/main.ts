// Entry point: read the configuration, start loading the model, listen, and shut down
// gracefully on SIGTERM/SIGINT.

import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { Runtime } from './runtime.ts';
import { listen } from './server.ts';

let config;
try {
  config = loadConfig(process.env, process.argv.slice(2));
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
const logger = createLogger(config.logLevel);
const rt = new Runtime(config, { logger });
const running = await listen(rt);
logger.info({ port: running.port, model: config.modelName, version: config.modelVersion }, 'listening');

let signals = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  if (++signals > 1) {
    logger.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  logger.info({ signal }, 'shutting down');
  void running.shutdown().then((clean) => process.exit(clean ? 0 : 1));
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
