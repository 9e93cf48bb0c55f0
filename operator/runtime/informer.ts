// An informer that never dies. A ListWatch relists on 410 Gone and resumes a watch the server
// ended, but on any other error it calls its error handlers and stops for good. This wrapper
// restarts it with jittered exponential backoff, relists periodically (serving reads from the
// previous cache until the new list is in), and shields the watch from handler exceptions:
// handlers are meant only to enqueue keys.
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from './client/http.ts';
import { ListWatch } from './client/listwatch.ts';
import { Backoff } from './backoff.ts';
import type { Clock, Timer } from './clock.ts';
import { keyOf, parseKey } from './keys.ts';
import { errorText } from './log.ts';
import type { Logger } from './log.ts';

export type ChangeKind = 'add' | 'update' | 'delete';
export type ChangeHandler<T> = (obj: T, change: ChangeKind) => void;

export interface InformerOptions<T extends KubernetesObject> {
  /** Name for logs and metrics, e.g. "inferenceservices". */
  name: string;
  client: KubeClient;
  /** Watch path, e.g. /apis/modelops.dev/v1alpha1/inferenceservices. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  clock: Clock;
  log: Logger;
  /** Full relist period; 0 turns periodic relists off. Default 10 minutes. */
  relistPeriodMs?: number;
  restartBaseMs?: number;
  restartMaxMs?: number;
  random?: () => number;
  /** Called on every restart after an error (for the informer_restarts metric). */
  onRestart?: (name: string) => void;
}

/**
 * Drops what no reconciler reads before an object enters the cache, as controller-runtime's
 * cache transform does: managedFields are often a third of an object's size.
 */
export function trimForCache<T extends KubernetesObject>(obj: T): T {
  if (obj?.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}

export class Informer<T extends KubernetesObject> {
  readonly #opts: InformerOptions<T>;
  readonly #handlers: ChangeHandler<T>[] = [];
  readonly #backoff: Backoff;
  /** The ListWatch reads are served from. */
  #serving: ListWatch<T>;
  #restartTimer: Timer | undefined;
  #relistTimer: Timer | undefined;
  #stopped = true;
  #synced = false;
  #syncWaiters: Array<() => void> = [];
  #restarts = 0;

  constructor(opts: InformerOptions<T>) {
    this.#opts = opts;
    this.#backoff = new Backoff({
      baseMs: opts.restartBaseMs ?? 500,
      maxMs: opts.restartMaxMs ?? 30_000,
      jitter: 0.5,
      ...(opts.random ? { random: opts.random } : {}),
    });
    this.#serving = this.#makeListWatch(() => this.#onListed());
  }

  /** Registers a handler. Exceptions it throws are logged and never reach the watch. */
  onChange(handler: ChangeHandler<T>): void {
    this.#handlers.push(handler);
  }

  get hasSynced(): boolean {
    return this.#synced;
  }

  get restarts(): number {
    return this.#restarts;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#serving.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.#serving.list(namespace);
  }

  /** Starts listing and watching; resolves once the first list is in the cache. */
  start(): Promise<void> {
    this.#stopped = false;
    this.#run(this.#serving);
    this.#scheduleRelist();
    return this.waitForSync();
  }

  waitForSync(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#restartTimer?.cancel();
    this.#relistTimer?.cancel();
    await this.#serving.stop();
  }

  #makeListWatch(onListed: () => void): ListWatch<T> {
    const list = async () => {
      const result = await this.#opts.list();
      // ListWatch fills its cache right after this promise settles; report after that.
      setImmediate(onListed);
      return result;
    };
    const lw = new ListWatch<T>({
      client: this.#opts.client,
      path: this.#opts.path,
      list,
      ...(this.#opts.labelSelector ? { labelSelector: this.#opts.labelSelector } : {}),
      transform: trimForCache,
      ...(this.#opts.random ? { random: this.#opts.random } : {}),
    });
    lw.on('add', (o) => this.#dispatch(lw, o, 'add'));
    lw.on('update', (o) => this.#dispatch(lw, o, 'update'));
    lw.on('delete', (o) => this.#dispatch(lw, o, 'delete'));
    lw.on('error', (err) => this.#onError(lw, err));
    return lw;
  }

  #dispatch(from: ListWatch<T>, obj: T, change: ChangeKind): void {
    if (from === this.#serving) this.#backoff.reset();
    for (const h of this.#handlers) {
      try {
        h(obj, change);
      } catch (err) {
        this.#opts.log.error({ err, informer: this.#opts.name, object: keyOf(obj) }, 'informer handler threw; handlers must only enqueue keys');
      }
    }
  }

  #run(lw: ListWatch<T>): void {
    lw.start().catch((err: unknown) => this.#onError(lw, err));
  }

  #onListed(): void {
    this.#backoff.reset();
    if (!this.#synced) {
      this.#synced = true;
      for (const resolve of this.#syncWaiters.splice(0)) resolve();
    }
  }

  #onError(lw: ListWatch<T>, err: unknown): void {
    if (this.#stopped) return;
    if (lw !== this.#serving) {
      // A relist that failed: keep serving the old cache and try the relist again later.
      void lw.stop();
      this.#opts.log.warn({ informer: this.#opts.name, err: errorText(err) }, 'relist failed; keeping the current cache');
      this.#scheduleRelist();
      return;
    }
    if (this.#restartTimer) return;
    const delay = this.#backoff.next();
    this.#restarts++;
    this.#opts.onRestart?.(this.#opts.name);
    this.#opts.log.warn(
      { informer: this.#opts.name, err: errorText(err), retryInMs: Math.round(delay), restarts: this.#restarts },
      'watch failed; restarting',
    );
    this.#restartTimer = this.#opts.clock.schedule(delay, () => {
      this.#restartTimer = undefined;
      if (!this.#stopped) this.#run(lw);
    });
  }

  #scheduleRelist(): void {
    const period = this.#opts.relistPeriodMs ?? 600_000;
    if (period <= 0 || this.#stopped) return;
    this.#relistTimer = this.#opts.clock.schedule(period, () => void this.#relist());
  }

  /** Lists afresh into a new cache; reads stay on the old one until the new list is in. */
  async #relist(): Promise<void> {
    if (this.#stopped) return;
    const old = this.#serving;
    const before = new Map(old.list().map((o) => [keyOf(o), o]));
    let fresh: ListWatch<T> | undefined = undefined;
    fresh = this.#makeListWatch(() => {
      if (this.#stopped || !fresh) return;
      this.#serving = fresh;
      void old.stop();
      // Objects deleted while nothing watched them get their delete now.
      for (const [key, obj] of before) {
        const { namespace, name } = parseKey(key);
        if (!fresh.get(name, namespace || undefined)) this.#dispatch(fresh, obj, 'delete');
      }
      this.#onListed();
      this.#scheduleRelist();
    });
    // Until it takes over, the fresh ListWatch's events are not dispatched as its own
    // (its adds repeat known objects), but they still enqueue: a relist is also a resync.
    this.#run(fresh);
  }
}
