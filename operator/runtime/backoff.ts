// Exponential backoff with jitter, for restarts (informers, leader election) and retries.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Fraction of the delay added at random, 0..1 (client-go's wait.Jitter). */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  #failures = 0;
  readonly #opts: Required<BackoffOptions>;

  constructor(opts: BackoffOptions) {
    this.#opts = { jitter: 0, random: Math.random, ...opts };
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const { baseMs, maxMs, jitter, random } = this.#opts;
    const exp = Math.min(maxMs, baseMs * 2 ** Math.min(this.#failures, 52));
    this.#failures++;
    return Math.min(maxMs * (1 + jitter), exp * (1 + jitter * random()));
  }

  get failures(): number {
    return this.#failures;
  }

  reset(): void {
    this.#failures = 0;
  }
}

/** Exponential backoff per key, as client-go's ItemExponentialFailureRateLimiter. */
export class PerKeyBackoff {
  readonly #failures = new Map<string, number>();
  readonly #baseMs: number;
  readonly #maxMs: number;

  constructor(baseMs: number, maxMs: number) {
    this.#baseMs = baseMs;
    this.#maxMs = maxMs;
  }

  next(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    return Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(n, 52));
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }
}
