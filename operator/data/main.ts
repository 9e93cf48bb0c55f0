// Entry point of the data jobs, run in a Job with the operator image:
//   node operator/data/main.ts ingest
// Configured by the environment only (docs/contracts-data.md). Progress goes to stdout as JSON
// lines, the result to the termination-message file, and the exit code tells the kind of failure.
import { writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { openStore } from '../artifacts/open.ts';
import type { Logger } from '../runtime/log.ts';
import { loadIngestConfig } from './config.ts';
import { EXIT, IngestConfigError, InfrastructureError, ValidationError } from './errors.ts';
import { ingest } from './ingest.ts';
import { failureMessage, successMessage } from './message.ts';

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const log: Logger = pino({ base: { component: 'ingest' }, level: env.MODELOPS_LOG_LEVEL || 'info' });
  const terminationPath = env.MODELOPS_TERMINATION_MESSAGE_PATH || '/dev/termination-log';
  const report = (text: string) => {
    try {
      writeFileSync(terminationPath, text);
    } catch (err) {
      log.warn({ path: terminationPath, err: (err as Error).message }, 'cannot write the termination message');
    }
  };
  if (argv[0] !== 'ingest') {
    log.error({ argv }, 'usage: node operator/data/main.ts ingest');
    report(failureMessage({ ok: false, reason: 'InvalidConfiguration', message: `unknown command "${argv[0] ?? ''}"; expected ingest`, exitCode: EXIT.config }));
    return EXIT.config;
  }
  try {
    const config = loadIngestConfig(env);
    const store = openStore(config.artifactStore, config.storeEnv);
    const { result } = await ingest(config, { store, log, now: () => new Date() });
    report(successMessage(result));
    log.info({ phase: 'done', version: result.version.version, digest: result.version.digest, rows: result.version.rows, reused: result.reused }, 'ingest succeeded');
    return EXIT.ok;
  } catch (err) {
    if (err instanceof ValidationError || err instanceof IngestConfigError || err instanceof InfrastructureError) {
      const failures = err instanceof ValidationError ? err.failures : undefined;
      log.error({ phase: 'failed', reason: err.reason, failures }, err.message);
      report(failureMessage({ ok: false, reason: err.reason, message: err.message, exitCode: err.exitCode, ...(failures ? { failures } : {}) }));
      return err.exitCode;
    }
    log.error({ phase: 'failed', reason: 'InternalError', err: (err as Error).stack }, (err as Error).message);
    report(failureMessage({ ok: false, reason: 'InternalError', message: (err as Error).message, exitCode: EXIT.internal }));
    return EXIT.internal;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
