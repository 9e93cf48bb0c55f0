// A reflector, as client-go's and client-node's ListWatch: list into a cache, then watch from
// the list's resourceVersion, reporting adds, updates and deletes. A watch the server ends
// (its timeoutSeconds) resumes from the last resourceVersion seen (bookmarks keep it fresh);
// 410 Gone relists; any other error is reported once and the ListWatch stops, for the
// Informer above it to restart with backoff.
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient, WatchEvent } from './http.ts';
import { ApiError } from './http.ts';

export type ListWatchEvent = 'add' | 'update' | 'delete' | 'error';

export interface ListWatchOptions<T extends KubernetesObject> {
  client: KubeClient;
  /** Watch path, e.g. /apis/modelops.dev/v1alpha1/namespaces/a/inferenceservices. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  /** Applied to every object before it enters the cache. */
  transform?: (obj: T) => T;
  random?: () => number;
}

/** The server ends each watch after 5 to 10 minutes (client-go's reflector). */
const MIN_WATCH_TIMEOUT_S = 300;
/** A watch silent for this long past its server timeout is presumed dead and reopened. */
const IDLE_GRACE_MS = 30_000;

function gone(err: unknown): boolean {
  return err instanceof ApiError && err.code === 410;
}

export class ListWatch<T extends KubernetesObject> {
  readonly #o: ListWatchOptions<T>;
  /** namespace ('' for cluster-scoped) → name → object. */
  #objects = new Map<string, Map<string, T>>();
  #resourceVersion = '';
  #abort: AbortController | undefined;
  #stopped = true;
  readonly #handlers: Record<ListWatchEvent, Array<(arg: never) => void>> = { add: [], update: [], delete: [], error: [] };

  constructor(opts: ListWatchOptions<T>) {
    this.#o = opts;
  }

  on(event: 'add' | 'update' | 'delete', handler: (obj: T) => void): void;
  on(event: 'error', handler: (err: unknown) => void): void;
  on(event: ListWatchEvent, handler: (arg: never) => void): void {
    this.#handlers[event].push(handler);
  }

  #emit(event: 'add' | 'update' | 'delete', obj: T): void;
  #emit(event: 'error', err: unknown): void;
  #emit(event: ListWatchEvent, arg: unknown): void {
    for (const h of this.#handlers[event]) (h as (a: unknown) => void)(arg);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#objects.get(namespace || '')?.get(name);
  }

  list(namespace?: string): T[] {
    if (!namespace) return [...this.#objects.values()].flatMap((m) => [...m.values()]);
    return [...(this.#objects.get(namespace)?.values() ?? [])];
  }

  /** Lists (afresh) and starts watching; resolves once the watch is open, rejects if the list fails. */
  async start(): Promise<void> {
    this.#stopped = false;
    this.#resourceVersion = '';
    await this.#listAndWatch();
  }

  stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    this.#abort = undefined;
    return Promise.resolve();
  }

  async #listAndWatch(): Promise<void> {
    if (!this.#resourceVersion) await this.#relist();
    if (this.#stopped) return;
    await this.#watch();
  }

  async #relist(): Promise<void> {
    const list = await this.#o.list();
    if (this.#stopped) return;
    const fresh = new Map<string, Map<string, T>>();
    for (const item of list.items ?? []) {
      const obj = this.#o.transform ? this.#o.transform(item) : item;
      const ns = obj.metadata?.namespace || '';
      let m = fresh.get(ns);
      if (!m) fresh.set(ns, (m = new Map()));
      m.set(obj.metadata?.name || '', obj);
    }
    const old = this.#objects;
    this.#objects = fresh;
    this.#resourceVersion = list.metadata?.resourceVersion || '';
    for (const [ns, objs] of old) {
      for (const [name, obj] of objs) if (!fresh.get(ns)?.has(name)) this.#emit('delete', obj);
    }
    for (const [ns, objs] of fresh) {
      for (const [name, obj] of objs) {
        const before = old.get(ns)?.get(name);
        if (!before) this.#emit('add', obj);
        else if (before.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.#emit('update', obj);
      }
    }
  }

  #fail(err: unknown): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#abort?.abort();
    this.#emit('error', err);
  }

  async #watch(): Promise<void> {
    const abort = new AbortController();
    this.#abort = abort;
    const timeoutSeconds = Math.floor(MIN_WATCH_TIMEOUT_S * (1 + (this.#o.random ?? Math.random)()));
    let idle: NodeJS.Timeout | undefined;
    let open = false;
    let openedAt = 0;
    let events = 0;
    /** An ERROR event other than 410 Gone, reported when the stream ends. */
    let failure: ApiError | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        // Silent for too long: a dead connection. Reopen from the same resourceVersion (an
        // open stream's abort is not reported to done; one still opening rejects below).
        abort.abort();
        if (open) done();
      }, timeoutSeconds * 1000 + IDLE_GRACE_MS);
      idle.unref();
    };
    touch();
    const onEvent = (e: WatchEvent) => {
      touch();
      events++;
      if (abort.signal.aborted) return;
      if (e.type === 'ERROR') {
        // A Status object; 410 means our resourceVersion is too old: relist when the stream ends.
        const status = e.object as { code?: number };
        if (status.code === 410) this.#resourceVersion = '';
        else failure = new ApiError('GET', this.#o.path, status.code ?? 500, JSON.stringify(status));
        return;
      }
      const obj = (this.#o.transform ? this.#o.transform(e.object as T) : e.object) as T;
      this.#resourceVersion = obj.metadata?.resourceVersion || this.#resourceVersion;
      if (e.type === 'BOOKMARK') return;
      const ns = obj.metadata?.namespace || '';
      const name = obj.metadata?.name || '';
      let m = this.#objects.get(ns);
      if (e.type === 'DELETED') {
        const had = m?.get(name);
        if (!had) return;
        m!.delete(name);
        if (m!.size === 0) this.#objects.delete(ns);
        this.#emit('delete', obj);
        return;
      }
      if (!m) this.#objects.set(ns, (m = new Map()));
      const before = m.get(name);
      if (before && before.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
      m.set(name, obj);
      this.#emit(before ? 'update' : 'add', obj);
    };
    const done = (err?: unknown) => {
      clearTimeout(idle);
      if (this.#stopped || this.#abort !== abort) return;
      if (err ?? failure) return this.#fail(err ?? failure);
      // A stream that ends at once with nothing in it would be reopened in a tight loop: fail
      // instead, and the Informer restarts with backoff.
      if (events === 0 && performance.now() - openedAt < 1000) return this.#fail(new Error(`watch ${this.#o.path} ended at once`));
      // The server ended the watch (timeout) or sent 410: resume, relisting if needed.
      this.#listAndWatch().catch((e: unknown) => this.#fail(e));
    };
    try {
      await this.#o.client.watch(
        this.#o.path,
        { resourceVersion: this.#resourceVersion, allowWatchBookmarks: true, timeoutSeconds, labelSelector: this.#o.labelSelector },
        abort.signal,
        onEvent,
        done,
      );
      open = true;
      openedAt = performance.now();
    } catch (err) {
      clearTimeout(idle);
      if (gone(err) && !this.#stopped) {
        this.#resourceVersion = '';
        return this.#listAndWatch();
      }
      if (abort.signal.aborted && !this.#stopped) {
        // The idle timer fired before the server answered: try again from the same version.
        return this.#watch();
      }
      throw err;
    }
  }
}
