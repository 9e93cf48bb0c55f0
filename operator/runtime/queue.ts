// A rate-limited work queue of object keys, after client-go's workqueue: a key is queued at
// most once, never handed to two workers at once, and a key added while it is being processed
// is processed again afterwards. Retries back off per key (5 ms .. 1000 s) and, overall,
// through a token bucket.
import { PerKeyBackoff } from './backoff.ts';
import type { Clock, Timer } from './clock.ts';
import { TokenBucket } from './ratelimit.ts';

export interface QueueHooks {
  /** A key became ready; depth is the number of keys waiting. */
  added?(depth: number): void;
  /** A worker took a key that waited latencyMs since it was added. */
  taken?(latencyMs: number, depth: number): void;
  /** A failed key was re-queued with a backoff. */
  retried?(): void;
}

export interface QueueOptions {
  clock: Clock;
  /** Per-key retry backoff: first delay and cap (defaults 5 ms and 1000 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Overall retry rate limit (defaults 10 per second, burst 100, as client-go). */
  retryQps?: number;
  retryBurst?: number;
  hooks?: QueueHooks;
}

export class WorkQueue {
  readonly #clock: Clock;
  readonly #hooks: QueueHooks;
  readonly #perKey: PerKeyBackoff;
  readonly #bucket: TokenBucket;
  readonly #ready: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #addedAt = new Map<string, number>();
  readonly #delayed = new Map<string, { at: number; timer: Timer }>();
  #waiters: Array<(key: string | undefined) => void> = [];
  #drained: Array<() => void> = [];
  #shutDown = false;

  constructor(opts: QueueOptions) {
    this.#clock = opts.clock;
    this.#hooks = opts.hooks ?? {};
    this.#perKey = new PerKeyBackoff(opts.retryBaseMs ?? 5, opts.retryMaxMs ?? 1_000_000);
    this.#bucket = new TokenBucket(opts.retryQps ?? 10, opts.retryBurst ?? 100, opts.clock);
  }

  /** Keys waiting to be taken. */
  get depth(): number {
    return this.#ready.length;
  }

  get shuttingDown(): boolean {
    return this.#shutDown;
  }

  add(key: string): void {
    if (this.#shutDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (!this.#addedAt.has(key)) this.#addedAt.set(key, this.#clock.now());
    if (this.#processing.has(key)) return; // done() queues it again
    this.#enqueue(key);
  }

  /** Adds the key after ms; of several pending delays for one key the earliest wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shutDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.#clock.now() + ms;
    const existing = this.#delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.timer.cancel();
    const timer = this.#clock.schedule(ms, () => {
      this.#delayed.delete(key);
      this.add(key);
    });
    this.#delayed.set(key, { at, timer });
  }

  /** Re-queues a failed key after its per-key backoff or the overall limit, whichever is longer. */
  addRateLimited(key: string): void {
    this.#hooks.retried?.();
    this.addAfter(key, Math.max(this.#perKey.next(key), this.#bucket.reserve()));
  }

  /** Clears the key's failure count after a success. */
  forget(key: string): void {
    this.#perKey.forget(key);
  }

  retries(key: string): number {
    return this.#perKey.failures(key);
  }

  /** Waits for the next key; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.#shutDown) return Promise.resolve(undefined);
    const key = this.#ready.shift();
    if (key !== undefined) return Promise.resolve(this.#take(key));
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks the key processed; a key added meanwhile becomes ready again. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shutDown) this.#enqueue(key);
    if (this.#processing.size === 0) {
      for (const resolve of this.#drained.splice(0)) resolve();
    }
  }

  /** Stops handing out keys and resolves once every key being processed is done. */
  shutDownWithDrain(): Promise<void> {
    this.#shutDown = true;
    for (const { timer } of this.#delayed.values()) timer.cancel();
    this.#delayed.clear();
    for (const resolve of this.#waiters.splice(0)) resolve(undefined);
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  #enqueue(key: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter(this.#take(key));
      return;
    }
    this.#ready.push(key);
    this.#hooks.added?.(this.#ready.length);
  }

  #take(key: string): string {
    this.#processing.add(key);
    this.#dirty.delete(key);
    const since = this.#addedAt.get(key) ?? this.#clock.now();
    this.#addedAt.delete(key);
    this.#hooks.taken?.(this.#clock.now() - since, this.#ready.length);
    return key;
  }
}
