// Graceful shutdown under load: readiness drops first, in-flight requests finish, then exit.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { inferUrl, modelUri, postJson, startServer } from './helpers.ts';

const slowRequest = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] };

describe('graceful shutdown', () => {
  it('stops reporting ready, finishes every in-flight request, then closes', async () => {
    const ts = await startServer({ MODEL_URI: modelUri('slow'), MAX_BATCH_SIZE: '1', SHUTDOWN_DRAIN_DELAY_MS: '300' });
    const inFlight = Array.from({ length: 8 }, () => postJson(inferUrl(ts), slowRequest));
    await new Promise((r) => setTimeout(r, 30));
    const stopped = ts.running.shutdown();
    assert.equal((await fetch(`${ts.url}/v2/health/ready`)).status, 400, 'not ready while draining');
    assert.equal((await fetch(`${ts.url}/v2/health/live`)).status, 200, 'still live while draining');
    const late = await postJson(inferUrl(ts), slowRequest);
    assert.equal(late.status, 200, 'requests still routed to us during the drain delay are served');
    const results = await Promise.all(inFlight);
    assert.deepEqual(results.map((r) => r.status), new Array(8).fill(200));
    assert.equal(await stopped, true, 'everything finished within SHUTDOWN_TIMEOUT_MS');
    await assert.rejects(fetch(`${ts.url}/v2/health/live`), 'the port is closed afterwards');
  });

  it('exits 0 on SIGTERM after answering the requests under way', async () => {
    const child = spawn(process.execPath, [path.join(import.meta.dirname, '..', 'src', 'main.ts'), '--port=0', '--host=127.0.0.1'], {
      env: { ...process.env, MODEL_URI: modelUri('slow'), MODEL_NAME: 'weather', MAX_BATCH_SIZE: '1', ACCESS_LOG_SAMPLE_RATE: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const logs: Record<string, unknown>[] = [];
    const ready = new Promise<number>((resolve) => {
      let port = 0;
      createInterface({ input: child.stdout }).on('line', (line) => {
        const l = JSON.parse(line) as Record<string, unknown>;
        logs.push(l);
        if (l.msg === 'listening') port = Number(l.port);
        if (l.msg === 'model ready') resolve(port);
      });
    });
    const port = await ready;
    const url = `http://127.0.0.1:${port}/v2/models/weather/infer`;
    const inFlight = Array.from({ length: 6 }, () => postJson(url, slowRequest));
    await new Promise((r) => setTimeout(r, 40));
    child.kill('SIGTERM');
    const results = await Promise.all(inFlight);
    assert.deepEqual(results.map((r) => r.status), new Array(6).fill(200));
    assert.equal(await exited, 0);
    assert.ok(logs.some((l) => l.msg === 'stopped' && l.clean === true), 'logs a clean stop');
  });
});
