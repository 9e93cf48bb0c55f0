// Time slices of the event loop for the heavy part of each inference request.
//
// Under saturating load one event-loop turn used to read every ready socket and, for each, parse,
// validate and submit the request, then encode and write every answer of a finished batch:
// ~32 requests' work, a few milliseconds, in front of a health probe that arrived meanwhile.
// Here the socket reads stay cheap (the body is only buffered) and the heavy work waits in a
// queue that runs in slices of at most `budgetMs` per turn (setImmediate, the check phase).
// Between slices the loop polls again, so a probe waits at most one slice. Below saturation the
// queue is short and runs in the same turn as the reads: nothing waits for a clock.

/**
 * Half a millisecond: at 16-32 connections on classifier-bench, 0.2 ms cost throughput and
 * 0.5 ms held the probe's p99 under saturation at ~2 ms (from ~5 ms without slices).
 */
export const SLICE_BUDGET_MS = 0.5;

export class Slices {
  private readonly queue: (() => void)[] = [];
  private head = 0;
  private scheduled = false;

  private readonly budgetMs: number;

  /** `budgetMs`: how long one slice may run before the loop polls again (one task at least). */
  constructor(budgetMs: number) {
    this.budgetMs = budgetMs;
  }

  /** Runs `task` in a later slice; its result (or its throw) settles the promise. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => {
        try {
          resolve(task());
        } catch (err) {
          reject(err);
        }
      });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.drain);
      }
    });
  }

  /** Tasks waiting for a slice. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  private readonly drain = (): void => {
    const end = performance.now() + this.budgetMs;
    // At least one task per slice, so a task longer than the budget still runs.
    do {
      const task = this.queue[this.head] as () => void;
      this.queue[this.head++] = noop; // let the closure go at once
      task(); // never throws: run() wraps it
    } while (this.head < this.queue.length && performance.now() < end);
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      this.scheduled = false;
    } else {
      if (this.head > 1024) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      setImmediate(this.drain);
    }
  };
}

function noop(): void {}
