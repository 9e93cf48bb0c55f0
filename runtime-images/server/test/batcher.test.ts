// The batching policy itself, with a runner the test finishes by hand, so that "while the
// worker is busy" is a fact of the test and not a race with a real model (workers.test.ts runs
// the same batcher with real models and threads).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Batcher, type BatcherOptions, type Runner } from '../src/batcher.ts';
import type { RunResult } from '../src/pool.ts';
import type { Signature } from '../src/signature.ts';
import type { Tensor } from '../src/tensor.ts';
import type { WireTensor } from '../src/worker.ts';

const signature: Signature = {
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
};

/** One worker; each run waits until the test calls finish(), then echoes x as y. */
class HandRunner implements Runner {
  readonly runs: number[][] = [];
  private pending: (() => void)[] = [];
  onIdle: () => void = () => undefined;

  idleCount(): number {
    return this.pending.length === 0 ? 1 : 0;
  }

  run(feeds: Record<string, WireTensor>): Promise<RunResult> {
    const x = feeds.x as WireTensor;
    this.runs.push(x.dims);
    return new Promise((resolve) => {
      this.pending.push(() => resolve({ outputs: { y: { type: 'float32', dims: x.dims, data: x.data } }, ms: 1 }));
    });
  }

  finish(): void {
    const done = this.pending.shift();
    assert.ok(done, 'nothing is running');
    done();
    queueMicrotask(() => this.onIdle());
  }
}

function batcher(opts: Partial<BatcherOptions> = {}): { b: Batcher; runner: HandRunner } {
  const runner = new HandRunner();
  const b = new Batcher(runner, signature, { maxBatchSize: 32, maxQueueDelayMs: 0, maxQueueSize: 100, batchable: true, ...opts }, {
    onBatch: () => undefined,
    onQueueDepth: () => undefined,
  });
  runner.onIdle = () => b.pump();
  return { b, runner };
}

const row = (v: number): Map<string, Tensor> => new Map([['x', { datatype: 'FP32', shape: [1, 2], data: Float32Array.of(v, -v) }]]);

describe('Batcher with maxQueueDelayMs 0 (the default)', () => {
  it('runs a request that finds the worker idle at once, and batches what queued while it was busy', async () => {
    const { b, runner } = batcher();
    const first = b.submit(row(1), 1);
    assert.deepEqual(runner.runs, [[1, 2]], 'the first request ran without waiting for company');
    const queued = [2, 3, 4].map((v) => b.submit(row(v), 1));
    assert.equal(runner.runs.length, 1, 'nothing else runs while the worker is busy');
    assert.equal(b.depth, 3);

    runner.finish();
    assert.deepEqual([...(await first).get('y')!.data], [1, -1]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(runner.runs[1], [3, 2], 'the three that waited share one batch');
    runner.finish();
    const answers = await Promise.all(queued);
    assert.deepEqual(answers.map((a) => [...a.get('y')!.data]), [[2, -2], [3, -3], [4, -4]], 'each gets its own row back');
    assert.equal(b.pending, 0);
  });

  it('caps a batch at maxBatchSize rows and runs the rest next', async () => {
    const { b, runner } = batcher({ maxBatchSize: 2 });
    const all = [b.submit(row(1), 1), ...[2, 3, 4].map((v) => b.submit(row(v), 1))];
    runner.finish();
    await new Promise((r) => setImmediate(r));
    runner.finish();
    await new Promise((r) => setImmediate(r));
    runner.finish();
    await Promise.all(all);
    assert.deepEqual(runner.runs, [[1, 2], [2, 2], [1, 2]]);
  });
});

describe('Batcher with a delay', () => {
  it('holds a lone request for company while the worker is idle, up to maxQueueDelayMs', async () => {
    const { b, runner } = batcher({ maxQueueDelayMs: 30 });
    const answers = [b.submit(row(1), 1), b.submit(row(2), 1)];
    assert.equal(runner.runs.length, 0, 'held for company');
    const start = performance.now();
    while (runner.runs.length === 0 && performance.now() - start < 5000) await new Promise((r) => setTimeout(r, 5));
    assert.ok(performance.now() - start >= 25, 'not before the delay was up');
    assert.deepEqual(runner.runs, [[2, 2]], 'both ran together once the delay was up');
    runner.finish();
    await Promise.all(answers);
  });
});
