// The operator process: configuration, logging, API clients, controllers, leader election,
// metrics and probes, and a clean shutdown on SIGTERM.
import { pino } from 'pino';
import { openStore } from './artifacts/open.ts';
import { ConfigError, loadConfig } from './config.ts';
import type { OperatorConfig } from './config.ts';
import type { ControllerContext } from './controllers/context.ts';
import { datasetController } from './controllers/dataset/controller.ts';
import { driftMonitorController } from './controllers/driftmonitor/controller.ts';
import { inferenceServiceController } from './controllers/inferenceservice/controller.ts';
import { modelVersionController } from './controllers/modelversion/controller.ts';
import { trainingJobController } from './controllers/trainingjob/controller.ts';
import { listen, metricsServer, probeServer } from './http.ts';
import { Manager } from './manager.ts';
import { CustomObjectsApi, EventsApi, LeasesApi, ObjectsApi } from './runtime/client/apis.ts';
import { defaultAccess, kubeconfigAccess } from './runtime/client/config.ts';
import { KubeClient } from './runtime/client/http.ts';
import { realClock } from './runtime/clock.ts';
import { EventRecorder } from './runtime/events.ts';
import { SharedInformers } from './runtime/resources.ts';
import { LeaderElector } from './runtime/leader.ts';
import type { Logger } from './runtime/log.ts';
import { OperatorMetrics } from './runtime/metrics.ts';

const SHUTDOWN_TIMEOUT_MS = 25_000;

async function main(cfg: OperatorConfig): Promise<number> {
  const log = pino({ level: cfg.logLevel, base: { component: 'operator' }, timestamp: pino.stdTimeFunctions.isoTime }) as unknown as Logger;
  const clock = realClock;
  const metrics = new OperatorMetrics();

  const access = cfg.kubeconfig ? await kubeconfigAccess(cfg.kubeconfig) : await defaultAccess(process.env);
  const client = new KubeClient(access).limit(cfg.kubeApiQps, cfg.kubeApiBurst, clock, (ms) => metrics.clientThrottle.inc(ms / 1000));

  const ctx: ControllerContext = {
    client,
    objects: new ObjectsApi(client),
    custom: new CustomObjectsApi(client),
    events: new EventRecorder({
      api: new EventsApi(client),
      controller: 'modelops.dev/operator',
      instance: cfg.identity,
      clock,
      log,
      onFailure: () => metrics.eventFailures.inc(),
    }),
    clock,
    log,
    metrics,
    workers: cfg.workers,
    config: cfg,
    store: cfg.artifactStore ? openStore(cfg.artifactStore, process.env) : undefined,
    openStore: (root) => openStore(root, process.env),
    informerOptions: (labelSelector) => ({
      client,
      objects: ctx.objects,
      custom: ctx.custom,
      namespaces: cfg.namespaces,
      ...(labelSelector ? { labelSelector } : {}),
      clock,
      log,
      relistPeriodMs: cfg.relistPeriodMs,
      onRestart: (name) => metrics.informerRestarts.inc({ informer: name }),
    }),
    informers: new SharedInformers((labelSelector) => ctx.informerOptions(labelSelector)),
  };

  const leader = cfg.leaderElect
    ? new LeaderElector({
        api: new LeasesApi(client),
        namespace: cfg.leaderElectionNamespace,
        name: cfg.leaderElectionId,
        identity: cfg.identity,
        clock,
        log,
      })
    : undefined;
  const manager = new Manager(
    [inferenceServiceController(ctx), datasetController(ctx), trainingJobController(ctx), modelVersionController(ctx), driftMonitorController(ctx)],
    { ...(leader ? { leader } : {}), log, metrics },
  );

  const metricsHttp = metricsServer(metrics.registry);
  const probes = probeServer(() => manager.ready);
  const metricsPort = await listen(metricsHttp, cfg.metricsAddress.host, cfg.metricsAddress.port);
  const probePort = await listen(probes, cfg.probeAddress.host, cfg.probeAddress.port);
  log.info(
    { metricsPort, probePort, namespaces: cfg.namespaces.length ? cfg.namespaces : 'all', leaderElection: cfg.leaderElect, identity: cfg.identity, workers: cfg.workers },
    'modelops operator starting',
  );

  let exitCode = 0;
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down: finishing in-flight reconciles');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    void manager.stop();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  const outcome = await manager.run();
  if (outcome === 'lost') {
    exitCode = 1;
    await manager.stop();
  }
  await Promise.all([new Promise((r) => metricsHttp.close(r)), new Promise((r) => probes.close(r))]);
  log.info({ outcome }, 'operator stopped');
  return exitCode;
}

try {
  const cfg = loadConfig(process.argv.slice(2), process.env);
  process.exitCode = await main(cfg);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`modelops operator: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`modelops operator: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
}
