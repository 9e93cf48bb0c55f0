// The controller loop: workers take keys from the queue and call one reconcile per key.
// Level-triggered: a reconcile never asks what changed. It returns to finish, asks for
// requeueAfter to wait on time, throws TerminalError for a spec that cannot work (recorded,
// not retried), and throws anything else to be retried with backoff.
import type { Clock } from './clock.ts';
import { errorText } from './log.ts';
import type { Logger } from './log.ts';
import type { OperatorMetrics } from './metrics.ts';
import { parseKey } from './keys.ts';
import type { ObjectKey } from './keys.ts';
import { WorkQueue } from './queue.ts';

export type { ObjectKey } from './keys.ts';

export interface ReconcileResult {
  requeueAfterMs?: number;
}

export interface Reconciler {
  reconcile(key: ObjectKey, log: Logger): Promise<ReconcileResult | void>;
}

/** An error that retrying cannot fix (an invalid spec); the reconciler has reported it in status. */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
}

export { keyOf, parseKey } from './keys.ts';

export interface ControllerOptions {
  name: string;
  reconciler: Reconciler;
  workers: number;
  clock: Clock;
  log: Logger;
  metrics: OperatorMetrics;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #o: ControllerOptions;
  #workers: Promise<void>[] = [];

  constructor(opts: ControllerOptions) {
    this.#o = opts;
    this.name = opts.name;
    const labels = { controller: opts.name };
    this.queue = new WorkQueue({
      clock: opts.clock,
      hooks: {
        added: (depth) => opts.metrics.queueDepth.set(labels, depth),
        taken: (ms, depth) => {
          opts.metrics.queueLatency.observe(labels, ms / 1000);
          opts.metrics.queueDepth.set(labels, depth);
        },
        retried: () => opts.metrics.queueRetries.inc(labels),
      },
    });
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Starts the workers; they run until stop(). */
  start(): void {
    for (let i = 0; i < this.#o.workers; i++) this.#workers.push(this.#work());
  }

  /** Stops taking keys and waits for in-flight reconciles to finish. */
  async stop(): Promise<void> {
    await this.queue.shutDownWithDrain();
    await Promise.all(this.#workers);
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.#reconcileOne(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  async #reconcileOne(key: string): Promise<void> {
    const { metrics, clock, reconciler, name } = this.#o;
    const log = this.#o.log.child({ object: key });
    const started = clock.now();
    const labels = { controller: name };
    try {
      const result = await reconciler.reconcile(parseKey(key), log);
      this.queue.forget(key);
      if (result?.requeueAfterMs !== undefined) {
        this.queue.addAfter(key, result.requeueAfterMs);
        metrics.reconcileTotal.inc({ ...labels, result: 'requeue' });
      } else {
        metrics.reconcileTotal.inc({ ...labels, result: 'success' });
      }
    } catch (err) {
      if (err instanceof TerminalError) {
        this.queue.forget(key);
        metrics.reconcileTotal.inc({ ...labels, result: 'terminal' });
        metrics.reconcileErrors.inc({ ...labels, terminal: 'true' });
        log.error({ err: errorText(err) }, 'reconcile failed and will not be retried until the object changes');
      } else {
        this.queue.addRateLimited(key);
        metrics.reconcileTotal.inc({ ...labels, result: 'error' });
        metrics.reconcileErrors.inc({ ...labels, terminal: 'false' });
        log.warn({ err: errorText(err), retries: this.queue.retries(key) }, 'reconcile failed; retrying with backoff');
      }
    } finally {
      metrics.reconcileDuration.observe(labels, (clock.now() - started) / 1000);
    }
  }
}
