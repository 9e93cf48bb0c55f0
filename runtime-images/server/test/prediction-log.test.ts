// The sampled prediction log: what a record holds, sampling, and that a broken sink never
// fails a request but is counted.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { classifierEnv, classifierRequest, inferUrl, postJson, startServer } from './helpers.ts';

describe('prediction log', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(path.join(tmpdir(), 'modelops-plog-')); });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes sampled requests as JSON lines with inputs, outputs, version, time and request id', async () => {
    const file = path.join(dir, 'sub', 'predictions.jsonl');
    let n = 0;
    // Deterministic sampling: every other request.
    const ts = await startServer(classifierEnv({ PREDICTION_LOG_URI: pathToFileURL(file).toString(), PREDICTION_LOG_SAMPLE_RATE: '0.5', MODEL_VERSION: '7' }), { random: () => (n++ % 2 === 0 ? 0.1 : 0.9) });
    try {
      for (let i = 0; i < 4; i++) {
        const res = await postJson(inferUrl(ts), classifierRequest(2, i), { 'x-request-id': `req-${i}` });
        assert.equal(res.status, 200);
      }
    } finally {
      await ts.close(); // flushes the log
    }
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    const first = lines[0] as { time: string; request_id: string; model: string; version: string; inputs: Record<string, { data: unknown }>; outputs: Record<string, { shape: number[] }> };
    assert.equal(first.request_id, 'req-0');
    assert.equal(first.model, 'weather');
    assert.equal(first.version, '7');
    assert.ok(!Number.isNaN(Date.parse(first.time)));
    assert.deepEqual(first.inputs.x?.data, [0, 5, -3, 1, 1, 6, -2, 2]);
    assert.deepEqual(first.inputs.month?.data, [1, 2]);
    assert.deepEqual(first.outputs.probabilities?.shape, [2, 5]);
    assert.equal((lines[1] as { request_id: string }).request_id, 'req-2');
  });

  it('never fails a request when the sink is broken, and counts the failures', async () => {
    const notADir = path.join(dir, 'plain-file');
    await writeFile(notADir, 'x');
    const ts = await startServer(classifierEnv({ PREDICTION_LOG_URI: pathToFileURL(path.join(notADir, 'p.jsonl')).toString(), PREDICTION_LOG_SAMPLE_RATE: '1' }));
    try {
      for (let i = 0; i < 3; i++) assert.equal((await postJson(inferUrl(ts), classifierRequest(1, i))).status, 200);
      const text = await (await fetch(`${ts.url}/metrics`)).text();
      assert.match(text, /modelops_prediction_log_records_total\{model="weather",version="1",result="failed"\} 3/);
      assert.match(text, /modelops_prediction_log_records_total\{model="weather",version="1",result="written"\} 0/);
      assert.ok(ts.logs.some((l) => l.level === 'error' && /prediction log/.test(String(l.msg))));
    } finally {
      await ts.close();
    }
  });
});
