// A fixed set of ONNX Runtime worker threads, each running one batch at a time. A worker that
// dies fails its batch and is replaced; the batcher learns about idle workers via `onIdle`.

import { Worker } from 'node:worker_threads';
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
      const worker = new Worker(WORKER_URL, { workerData: this.init });
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
