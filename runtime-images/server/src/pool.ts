// A fixed set of ONNX Runtime worker threads, each running one batch at a time. A worker that
// dies fails its batch and is replaced; the batcher learns about idle workers via `onIdle`.

import v8 from 'node:v8';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { FromWorker, WireTensor, WorkerInit } from './worker.ts';

export interface RunResult {
  outputs: Record<string, WireTensor>;
  ms: number;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  pending: { id: number; resolve: (r: RunResult) => void; reject: (e: Error) => void } | undefined;
}

export interface PoolReady {
  provider: string;
  fallbackReason: string | undefined;
  inputs: Extract<FromWorker, { type: 'ready' }>['inputs'];
  outputs: Extract<FromWorker, { type: 'ready' }>['outputs'];
}

export interface PoolEvents {
  onIdle: () => void;
  onWorkerExit: (index: number, reason: string) => void;
}

const WORKER_URL = new URL('./worker.ts', import.meta.url);

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly init: WorkerInit;
  private readonly size: number;
  private events: PoolEvents = { onIdle: () => {}, onWorkerExit: () => {} };
  private nextId = 1;
  private closing = false;

  constructor(init: WorkerInit, size: number) {
    this.init = init;
    this.size = size;
  }

  setEvents(events: PoolEvents): void {
    this.events = events;
  }

  /** Starts every worker and waits until each has a session. */
  async start(): Promise<PoolReady> {
    const readies = await Promise.all(Array.from({ length: this.size }, (_, i) => this.spawn(i)));
    return readies[0] as PoolReady;
  }

  private spawn(index: number): Promise<PoolReady> {
    return new Promise((resolve, reject) => {
      const worker = createWorker(WORKER_URL, { workerData: this.init });
      const slot: Slot = { worker, busy: true, pending: undefined };
      this.slots[index] = slot;
      let started = false;
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') {
          started = true;
          slot.busy = false;
          resolve({ provider: msg.provider, fallbackReason: msg.fallbackReason, inputs: msg.inputs, outputs: msg.outputs });
          this.events.onIdle();
        } else if (msg.type === 'init-error') {
          reject(new Error(msg.message));
          void worker.terminate();
        } else {
          const p = slot.pending;
          if (p === undefined || p.id !== msg.id) return;
          slot.pending = undefined;
          slot.busy = false;
          if (msg.type === 'result') p.resolve({ outputs: msg.outputs, ms: msg.ms });
          else p.reject(new Error(msg.message));
          this.events.onIdle();
        }
      });
      worker.on('error', (err) => {
        if (!started) reject(err);
        slot.pending?.reject(new Error(`worker crashed: ${err.message}`));
        slot.pending = undefined;
      });
      worker.on('exit', (code) => {
        if (this.closing || !started) return;
        slot.pending?.reject(new Error(`worker exited with code ${code}`));
        slot.pending = undefined;
        this.events.onWorkerExit(index, `exit code ${code}`);
        this.spawn(index).catch((err: Error) => this.events.onWorkerExit(index, `restart failed: ${err.message}`));
      });
    });
  }

  idleCount(): number {
    let n = 0;
    for (const s of this.slots) if (s !== undefined && !s.busy) n++;
    return n;
  }

  /** Runs on an idle worker; the caller must have checked idleCount(). Transfers the inputs. */
  run(feeds: Record<string, WireTensor>): Promise<RunResult> {
    const slot = this.slots.find((s) => s !== undefined && !s.busy);
    if (slot === undefined) return Promise.reject(new Error('no idle worker'));
    slot.busy = true;
    const id = this.nextId++;
    const transfer: ArrayBuffer[] = [];
    for (const t of Object.values(feeds)) {
      if (Array.isArray(t.data)) continue;
      if (t.data.byteOffset !== 0 || t.data.byteLength !== t.data.buffer.byteLength) t.data = t.data.slice();
      transfer.push(t.data.buffer as ArrayBuffer);
    }
    return new Promise((resolve, reject) => {
      slot.pending = { id, resolve, reject };
      slot.worker.postMessage({ type: 'run', id, feeds }, transfer);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s?.worker.terminate()));
  }
}

/** The semi-space of a worker's young generation, in MiB: it allocates little per batch. */
export const WORKER_SEMI_SPACE_MB = 1;
const SEMI_SPACE_FLAG = /^--(?:min|max)-semi-space-size=\d+$/;
let creating = 0;

/**
 * A Worker with a small young generation, even when node was started with a large fixed one.
 * The image gives the main thread a 16 MiB semi-space (Dockerfile ENTRYPOINT), where every
 * request leaves garbage. V8 flags are process-wide and win over a Worker's resourceLimits, so
 * an ONNX Runtime worker got the same 32 MiB young generation, which its few allocations per
 * batch touched page by page over the first ~100k requests: RSS crept by ~18 MiB. The flags are
 * lowered while the worker's isolate is created, and put back once it runs (V8 reads them when
 * it configures an isolate's heap).
 */
export function createWorker(url: URL | string, options: WorkerOptions): Worker {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].filter((a) => SEMI_SPACE_FLAG.test(a));
  if (flags.length === 0) return new Worker(url, options);
  // min before max when lowering, max before min when restoring: min never exceeds max.
  const byKind = (kind: string): string[] => flags.filter((f) => f.startsWith(`--${kind}`));
  if (creating++ === 0) for (const f of [...byKind('min'), ...byKind('max')]) v8.setFlagsFromString(f.replace(/=\d+$/, `=${WORKER_SEMI_SPACE_MB}`));
  const worker = new Worker(url, options);
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    if (--creating === 0) for (const f of [...byKind('max'), ...byKind('min')]) v8.setFlagsFromString(f);
  };
  worker.once('online', restore);
  worker.once('error', restore);
  worker.once('exit', restore);
  return worker;
}
