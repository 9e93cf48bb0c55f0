// Worker threads, the bounded queue and dynamic batching, with real models.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifierEnv, classifierRequest, inferUrl, modelUri, postJson, startServer } from './helpers.ts';

const slowRequest = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] };

async function batchSizes(url: string): Promise<{ count: number; sum: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const count = Number(/modelops_inference_batch_size_count\{[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
  const sum = Number(/modelops_inference_batch_size_sum\{[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
  return { count, sum };
}

describe('dynamic batching', () => {
  it('merges concurrent requests into batches and gives each its own rows back', async () => {
    const ts = await startServer(classifierEnv({ MAX_BATCH_SIZE: '16', MAX_QUEUE_DELAY_MS: '20' }));
    try {
      // Each request alone first: the reference answers.
      const singles: unknown[] = [];
      for (let i = 0; i < 12; i++) singles.push((await postJson(inferUrl(ts), classifierRequest(1 + (i % 3), i))).body.outputs);
      const before = await batchSizes(ts.url);
      const together = await Promise.all(Array.from({ length: 12 }, (_, i) => postJson(inferUrl(ts), classifierRequest(1 + (i % 3), i))));
      together.forEach((r, i) => {
        assert.equal(r.status, 200);
        assert.deepEqual(r.body.outputs, singles[i], `request ${i} gets exactly its own rows`);
      });
      const afterwards = await batchSizes(ts.url);
      const batches = afterwards.count - before.count;
      assert.equal(afterwards.sum - before.sum, 24, 'all 24 rows were run');
      assert.ok(batches < 12, `12 concurrent requests ran in ${batches} batches`);
    } finally {
      await ts.close();
    }
  });

  it('runs one request per batch when MAX_BATCH_SIZE=1', async () => {
    const ts = await startServer(classifierEnv({ MAX_BATCH_SIZE: '1' }));
    try {
      await Promise.all(Array.from({ length: 8 }, (_, i) => postJson(inferUrl(ts), classifierRequest(1, i))));
      const b = await batchSizes(ts.url);
      assert.deepEqual(b, { count: 8, sum: 8 }); // the warm-up bypasses the batcher
    } finally {
      await ts.close();
    }
  });
});

describe('bounded queue in front of the workers', () => {
  it('answers 503 QUEUE_FULL with Retry-After when the queue is full, and serves the rest', async () => {
    const ts = await startServer({ MODEL_URI: modelUri('slow'), MAX_QUEUE_SIZE: '2', MAX_BATCH_SIZE: '1', RETRY_AFTER_SECONDS: '3' });
    try {
      const results = await Promise.all(Array.from({ length: 10 }, () => postJson(inferUrl(ts), slowRequest)));
      const full = results.filter((r) => r.status === 503);
      const ok = results.filter((r) => r.status === 200);
      assert.ok(full.length >= 1, 'some requests found the queue full');
      assert.ok(ok.length >= 3, 'one running and two queued requests were served');
      assert.equal(full.length + ok.length, 10);
      for (const r of full) {
        assert.equal(r.body.code, 'QUEUE_FULL');
        assert.equal(r.headers.get('retry-after'), '3');
      }
    } finally {
      await ts.close();
    }
  });

  it('keeps the event loop free: liveness answers fast while a worker is busy', async () => {
    const ts = await startServer({ MODEL_URI: modelUri('slow'), MAX_BATCH_SIZE: '1' });
    try {
      const t = performance.now();
      await postJson(inferUrl(ts), slowRequest);
      const oneInference = performance.now() - t;
      const load = Promise.all(Array.from({ length: 6 }, () => postJson(inferUrl(ts), slowRequest)));
      await new Promise((r) => setTimeout(r, 20));
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) assert.equal((await fetch(`${ts.url}/v2/health/live`)).status, 200);
      const perProbe = (performance.now() - t0) / 5;
      await load;
      // Were run() on the event loop, each probe would wait for at least one whole inference.
      assert.ok(perProbe < oneInference / 2, `a liveness probe took ${perProbe.toFixed(1)} ms under load; one inference takes ${oneInference.toFixed(1)} ms`);
    } finally {
      await ts.close();
    }
  });
});

describe('health probes are answered before express', () => {
  it('answers live and ready at once, with empty bodies, while the queue is full', async () => {
    const ts = await startServer({ MODEL_URI: modelUri('slow'), MAX_QUEUE_SIZE: '1', MAX_BATCH_SIZE: '1' });
    try {
      const load = Promise.all(Array.from({ length: 6 }, () => postJson(inferUrl(ts), slowRequest)));
      await new Promise((r) => setTimeout(r, 20));
      for (const probe of ['live', 'ready']) {
        const res = await fetch(`${ts.url}/v2/health/${probe}`);
        assert.equal(res.status, 200, probe);
        assert.equal(await res.text(), '', probe);
      }
      assert.equal((await fetch(`${ts.url}/v2/health/live`, { method: 'HEAD' })).status, 200);
      const statuses = (await load).map((r) => r.status);
      assert.ok(statuses.includes(503), `the queue was full: ${statuses.join(',')}`);
    } finally {
      await ts.close();
    }
  });

  it('leaves other paths and methods to express', async () => {
    const ts = await startServer(classifierEnv());
    try {
      const post = await postJson(`${ts.url}/v2/health/live`, {});
      assert.equal(post.status, 404);
      assert.equal(post.body.code, 'ROUTE_NOT_FOUND');
      assert.equal((await fetch(`${ts.url}/v2/health/live?x=1`)).status, 200, 'express answers probes with a query');
    } finally {
      await ts.close();
    }
  });
});

describe('a model that fails at run time', () => {
  it('answers 500 INFERENCE_FAILED and keeps serving', async () => {
    const ts = await startServer({ MODEL_URI: modelUri('failing'), MAX_BATCH_SIZE: '1' });
    try {
      const bad = await postJson(inferUrl(ts), { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [5] }] });
      assert.equal(bad.status, 500);
      assert.equal(bad.body.code, 'INFERENCE_FAILED');
      assert.match(String(bad.body.error), /Reshape/);
      const good = await postJson(inferUrl(ts), { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }] });
      assert.equal(good.status, 200);
      assert.ok(ts.logs.some((l) => l.access === true && l.status === 500), 'server errors are always access-logged');
    } finally {
      await ts.close();
    }
  });
});
