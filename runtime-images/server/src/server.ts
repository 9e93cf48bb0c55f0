// Binds a built app to a port and shuts it down gracefully: stop reporting ready, wait for the
// endpoints to update (SHUTDOWN_DRAIN_DELAY_MS), stop accepting connections, finish in-flight
// requests, then stop the workers and flush the prediction log.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp, type AppState } from './app.ts';
import type { Runtime } from './runtime.ts';

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  /** Graceful shutdown; resolves true when everything in flight finished in time. */
  shutdown(): Promise<boolean>;
}

export async function listen(rt: Runtime, host = rt.config.host, port = rt.config.port): Promise<RunningServer> {
  const state: AppState = { closing: false };
  // Probes and V2 inference are answered before express (app.ts): under load a probe costs the
  // event loop a few microseconds, and an inference request skips the router.
  const server = createServer(buildApp(rt, state));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.keepAliveTimeout = 65_000; // longer than typical load balancer idle timeouts
  const bound = (server.address() as AddressInfo).port;
  let shuttingDown: Promise<boolean> | undefined;
  const shutdown = (): Promise<boolean> => {
    shuttingDown ??= (async () => {
      const log = rt.logger.child({ phase: 'shutdown' });
      rt.startDraining();
      log.info({ drainDelayMs: rt.config.shutdownDrainDelayMs }, 'not ready any more; draining');
      await sleep(rt.config.shutdownDrainDelayMs);
      state.closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections become idle as their last response is written: close them then.
      server.closeIdleConnections();
      const sweeper = setInterval(() => server.closeIdleConnections(), 50);
      void closed.then(() => clearInterval(sweeper));
      const timeout = rt.config.shutdownTimeoutMs;
      const giveUp = new AbortController();
      const inTime = await Promise.race([
        Promise.all([closed, rt.drained()]).then(() => true),
        sleep(timeout, false, { signal: giveUp.signal }).catch(() => false),
      ]);
      giveUp.abort(); // the timer must not keep the process alive
      clearInterval(sweeper);
      if (!inTime) {
        log.warn({ timeoutMs: timeout }, 'in-flight requests did not finish in time; closing connections');
        server.closeAllConnections();
      }
      await rt.close();
      log.info({ clean: inTime }, 'stopped');
      return inTime;
    })();
    return shuttingDown;
  };
  return { server, port: bound, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}`, shutdown };
}
