// Dynamic batching in front of the worker pool: requests wait in one bounded queue; when a
// worker is idle, the oldest requests whose tensors can be stacked are concatenated along the
// batch dimension, up to maxBatchSize rows, after waiting at most maxQueueDelayMs for company.
//
// With maxQueueDelayMs 0 (the default) nothing waits on a clock: a request that finds a worker
// idle runs at once, and a batch holds the requests that queued while every worker was busy.
// Under load batches fill by themselves; at low load no request is held while a worker idles.
// (Holding the first request of an event-loop turn until the turn's end, so its neighbours
// join, measured slower on the benchmark model: the worker started later.) A delay above 0 is
// for models whose per-call cost dwarfs the per-row cost, as on a GPU, where waiting pays.

import { serverError } from './errors.ts';
import { DATATYPES, elementCount, type Tensor, type TensorData } from './tensor.ts';
import type { Signature } from './signature.ts';
import type { WireTensor } from './worker.ts';
import type { RunResult } from './pool.ts';

export interface Runner {
  idleCount(): number;
  run(feeds: Record<string, WireTensor>): Promise<RunResult>;
}

export interface BatcherOptions {
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueueSize: number;
  batchable: boolean;
}

export interface BatchObserver {
  onBatch(rows: number, requests: number, inferenceMs: number): void;
  onQueueDepth(depth: number): void;
}

interface Job {
  inputs: Map<string, Tensor>;
  rows: number;
  /** Jobs with equal keys have equal non-batch dimensions and can share a batch. */
  key: string;
  enqueuedAt: number;
  resolve: (outputs: Map<string, Tensor>) => void;
  reject: (err: Error) => void;
}

export class Batcher {
  private readonly queue: Job[] = [];
  private readonly runner: Runner;
  private readonly opts: BatcherOptions;
  private readonly signature: Signature;
  private readonly observer: BatchObserver;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private drainWaiters: (() => void)[] = [];

  constructor(runner: Runner, signature: Signature, opts: BatcherOptions, observer: BatchObserver) {
    this.runner = runner;
    this.signature = signature;
    this.opts = opts;
    this.observer = observer;
  }

  get depth(): number {
    return this.queue.length;
  }

  /** Requests accepted and not yet answered (queued or running). */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  submit(inputs: Map<string, Tensor>, rows: number): Promise<Map<string, Tensor>> {
    if (this.queue.length >= this.opts.maxQueueSize) {
      return Promise.reject(serverError('QUEUE_FULL', String(this.opts.maxQueueSize)));
    }
    const key = this.signature.inputs.map((s) => (inputs.get(s.name) as Tensor).shape.slice(1).join('x')).join('|');
    return new Promise((resolve, reject) => {
      this.queue.push({ inputs, rows, key, enqueuedAt: performance.now(), resolve, reject });
      this.observer.onQueueDepth(this.queue.length);
      this.pump();
    });
  }

  /** Resolves once nothing is queued or running. */
  drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Called when a worker becomes idle, a job arrives or the delay timer fires. */
  pump(): void {
    while (this.queue.length > 0 && this.runner.idleCount() > 0) {
      const head = this.queue[0] as Job;
      if (this.opts.batchable && this.opts.maxQueueDelayMs > 0) {
        const waited = performance.now() - head.enqueuedAt;
        const rows = this.queuedRows(head.key);
        if (rows < this.opts.maxBatchSize && waited < this.opts.maxQueueDelayMs) {
          this.armTimer(this.opts.maxQueueDelayMs - waited);
          return;
        }
      }
      this.dispatch(this.takeBatch());
    }
  }

  private queuedRows(key: string): number {
    let rows = 0;
    for (const j of this.queue) {
      if (j.key === key) rows += j.rows;
      if (rows >= this.opts.maxBatchSize) break;
    }
    return rows;
  }

  private armTimer(ms: number): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(0, Math.ceil(ms)));
  }

  private takeBatch(): Job[] {
    const head = this.queue.shift() as Job;
    const batch = [head];
    if (this.opts.batchable) {
      let rows = head.rows;
      for (let i = 0; i < this.queue.length && rows < this.opts.maxBatchSize; ) {
        const j = this.queue[i] as Job;
        if (j.key === head.key && rows + j.rows <= this.opts.maxBatchSize) {
          batch.push(j);
          rows += j.rows;
          this.queue.splice(i, 1);
        } else {
          i++;
        }
      }
    }
    this.observer.onQueueDepth(this.queue.length);
    return batch;
  }

  private dispatch(batch: Job[]): void {
    this.inFlight += batch.length;
    const rows = batch.reduce((n, j) => n + j.rows, 0);
    const feeds: Record<string, WireTensor> = {};
    for (const spec of this.signature.inputs) {
      const parts = batch.map((j) => j.inputs.get(spec.name) as Tensor);
      const first = parts[0] as Tensor;
      const data = parts.length === 1 ? first.data : concat(parts.map((p) => p.data), first.datatype);
      const dims = parts.length === 1 ? first.shape : [rows, ...first.shape.slice(1)];
      feeds[spec.name] = { type: DATATYPES[spec.datatype].ort, dims, data };
    }
    const settle = (): void => {
      this.inFlight -= batch.length;
      if (this.pending === 0) {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of waiters) w();
      }
    };
    this.runner.run(feeds).then(
      (result) => {
        this.observer.onBatch(rows, batch.length, result.ms);
        let split: Map<string, Tensor>[];
        try {
          split = this.split(result, batch, rows);
        } catch (err) {
          for (const j of batch) j.reject(err as Error);
          settle();
          return;
        }
        batch.forEach((j, i) => j.resolve(split[i] as Map<string, Tensor>));
        settle();
      },
      (err: Error) => {
        const failure = serverError('INFERENCE_FAILED', err.message);
        for (const j of batch) j.reject(failure);
        settle();
      },
    );
  }

  private split(result: RunResult, batch: Job[], rows: number): Map<string, Tensor>[] {
    const perJob = batch.map(() => new Map<string, Tensor>());
    for (const spec of this.signature.outputs) {
      const wire = result.outputs[spec.name];
      if (wire === undefined) throw serverError('INFERENCE_FAILED', `the model produced no output "${spec.name}"`);
      if (batch.length === 1) {
        (perJob[0] as Map<string, Tensor>).set(spec.name, { datatype: spec.datatype, shape: wire.dims, data: wire.data });
        continue;
      }
      if (wire.dims[0] !== rows) {
        throw serverError('INFERENCE_FAILED', `output "${spec.name}" has ${wire.dims[0]} rows for a batch of ${rows}; the model cannot be batched (set MAX_BATCH_SIZE=1)`);
      }
      const rowShape = wire.dims.slice(1);
      const stride = elementCount(rowShape);
      let row = 0;
      batch.forEach((j, i) => {
        const data = wire.data.slice(row * stride, (row + j.rows) * stride) as TensorData;
        (perJob[i] as Map<string, Tensor>).set(spec.name, { datatype: spec.datatype, shape: [j.rows, ...rowShape], data });
        row += j.rows;
      });
    }
    return perJob;
  }

  /** Fails everything still queued (shutdown after the timeout). */
  rejectQueued(err: Error): void {
    for (const j of this.queue.splice(0)) j.reject(err);
    this.observer.onQueueDepth(0);
  }
}

function concat(parts: TensorData[], datatype: Tensor['datatype']): TensorData {
  if (datatype === 'BYTES') return (parts as string[][]).flat();
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = DATATYPES[datatype].make(total) as Float32Array;
  let offset = 0;
  for (const p of parts) {
    out.set(p as Float32Array, offset);
    offset += p.length;
  }
  return out;
}
