// The worker pool replaces a worker that dies, failing only the batch it was running.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { WorkerPool } from '../src/pool.ts';
import { MODELS } from './helpers.ts';

const feeds = () => ({ x: { type: 'float32' as const, dims: [1, 4], data: new Float32Array([1, 2, 3, 4]) } });

describe('WorkerPool', () => {
  it('fails the in-flight batch of a worker that dies, then replaces the worker', async () => {
    const pool = new WorkerPool({ modelPath: path.join(MODELS, 'slow', 'model.onnx'), intraOpThreads: 1, executionProviders: ['cpu'] }, 1);
    const exits: string[] = [];
    let idle = 0;
    pool.setEvents({ onIdle: () => { idle++; }, onWorkerExit: (_i, reason) => exits.push(reason) });
    await pool.start();
    try {
      const running = pool.run(feeds());
      // Kill the thread from outside, as an out-of-memory abort in native code would.
      const slots = (pool as unknown as { slots: { worker: Worker }[] }).slots;
      await slots[0]?.worker.terminate();
      await assert.rejects(running, /worker exited/);
      assert.equal(exits.length, 1);
      const idleBefore = idle;
      while (pool.idleCount() === 0) await new Promise((r) => setTimeout(r, 20));
      assert.ok(idle > idleBefore, 'the replacement announces itself idle, so queued work resumes');
      const result = await pool.run(feeds());
      assert.deepEqual([...(result.outputs.y?.data as Float32Array)], [1, 2, 3, 4]);
    } finally {
      await pool.close();
    }
  });

  // No GPU here: this is the path every CPU node takes when the image asks for CUDA first.
  it('falls back to the CPU provider, with the reason, when CUDA cannot be loaded', async () => {
    const pool = new WorkerPool({ modelPath: path.join(MODELS, 'classifier', 'model.onnx'), intraOpThreads: 1, executionProviders: ['cuda', 'cpu'] }, 1);
    try {
      const ready = await pool.start();
      assert.equal(ready.provider, 'cpu');
      assert.match(ready.fallbackReason ?? '', /^cuda: /);
    } finally {
      await pool.close();
    }
  });

  it('fails to start when CUDA is required (EXECUTION_PROVIDER=cuda) and unavailable', async () => {
    const pool = new WorkerPool({ modelPath: path.join(MODELS, 'classifier', 'model.onnx'), intraOpThreads: 1, executionProviders: ['cuda'] }, 1);
    try {
      await assert.rejects(pool.start(), /Cuda|CUDA|cuda/);
    } finally {
      await pool.close();
    }
  });
});
