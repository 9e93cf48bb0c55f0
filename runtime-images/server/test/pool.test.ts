// The worker pool replaces a worker that dies, failing only the batch it was running, and its
// workers get a young generation of their own size.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { WORKER_SEMI_SPACE_MB, WorkerPool } from '../src/pool.ts';
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

describe('createWorker', () => {
  it('gives workers a small young generation when node runs with the image\'s fixed 16 MiB semi-space, and leaves the main thread\'s alone', () => {
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(path.join(import.meta.dirname, '..', 'Dockerfile'), 'utf8'))?.[1] ?? '[]') as string[];
    const flags = entrypoint.filter((a) => a.startsWith('--'));
    assert.ok(flags.some((f) => f.startsWith('--min-semi-space-size=')), `the image's flags: ${flags.join(' ')}`);
    // Two workers created together, then one more, each reporting its new space.
    const script = `
      import v8 from 'node:v8';
      import { createWorker } from ${JSON.stringify(new URL('../src/pool.ts', import.meta.url).href)};
      const code = "import v8 from 'node:v8'; import { parentPort } from 'node:worker_threads'; parentPort.postMessage(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)";
      const size = (w) => new Promise((r) => w.once('message', (m) => { r(m); void w.terminate(); }));
      const together = await Promise.all([size(createWorker(code, { eval: true })), size(createWorker(code, { eval: true }))]);
      const later = await size(createWorker(code, { eval: true }));
      const main = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
      console.log(JSON.stringify({ workers: [...together, later], main }));`;
    const out = execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8' });
    const { workers, main } = JSON.parse(out) as { workers: number[]; main: number };
    const MiB = 1024 * 1024;
    assert.ok(main >= 16 * MiB, `the main thread keeps its young generation: ${main / MiB} MiB`);
    for (const w of workers) assert.ok(w <= 4 * WORKER_SEMI_SPACE_MB * MiB, `a worker's new space is ${w / MiB} MiB`);
  });
});
