// Runs the controllers: informers start on every replica (a standby has warm caches), workers
// only while this replica leads. Losing the lease stops the workers at once; the caller exits.
import type { Controller } from './runtime/controller.ts';
import type { LeaderElector } from './runtime/leader.ts';
import type { Logger } from './runtime/log.ts';
import type { OperatorMetrics } from './runtime/metrics.ts';

export interface Startable {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly hasSynced: boolean;
}

export interface ManagedController {
  controller: Controller;
  informers: Startable[];
}

export class Manager {
  readonly #controllers: ManagedController[];
  /** Each informer once, though several controllers may read it (runtime/resources.ts SharedInformers). */
  readonly #informers: Startable[];
  readonly #leader: LeaderElector | undefined;
  readonly #log: Logger;
  readonly #metrics: OperatorMetrics;
  #running = false;
  #stopping = false;

  constructor(controllers: ManagedController[], opts: { leader?: LeaderElector; log: Logger; metrics: OperatorMetrics }) {
    this.#controllers = controllers;
    this.#informers = [...new Set(controllers.flatMap((c) => c.informers))];
    this.#leader = opts.leader;
    this.#log = opts.log;
    this.#metrics = opts.metrics;
  }

  /** Ready once every informer has its first list. */
  get ready(): boolean {
    return !this.#stopping && this.#informers.every((i) => i.hasSynced);
  }

  /**
   * Starts everything and resolves when the manager stops: 'stopped' after stop(), 'lost'
   * when leadership was lost (the process should exit and be restarted).
   */
  async run(): Promise<'stopped' | 'lost'> {
    await Promise.all(this.#informers.map((i) => i.start()));
    this.#log.info({ controllers: this.#controllers.map((c) => c.controller.name) }, 'caches synced');
    if (!this.#leader) {
      this.#startWorkers();
      return new Promise((resolve) => (this.#resolveStopped = () => resolve('stopped')));
    }
    const outcome = await this.#leader.run((signal) => {
      this.#startWorkers();
      signal.addEventListener('abort', () => void this.#stopWorkers());
    });
    await this.#stopWorkers();
    return outcome;
  }

  #resolveStopped: (() => void) | undefined;

  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    await this.#stopWorkers();
    await this.#leader?.stop();
    await Promise.all(this.#informers.map((i) => i.stop()));
    this.#resolveStopped?.();
  }

  #startWorkers(): void {
    if (this.#running || this.#stopping) return;
    this.#running = true;
    this.#metrics.leader.set(1);
    for (const c of this.#controllers) c.controller.start();
    this.#log.info('workers started');
  }

  async #stopWorkers(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#metrics.leader.set(0);
    await Promise.all(this.#controllers.map((c) => c.controller.stop()));
    this.#log.info('workers stopped; in-flight reconciles finished');
  }
}
