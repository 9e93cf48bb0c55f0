// Model loading: the digest check, the sources (file, http), where the signature comes from,
// and that liveness never waits for the model while readiness does.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { classifierRequest, inferUrl, MODELS, modelUri, postJson, startServer } from './helpers.ts';

const classifierPath = path.join(MODELS, 'classifier', 'model.onnx');
const sha256 = async (p: string): Promise<string> => createHash('sha256').update(await readFile(p)).digest('hex');

describe('digest verification', () => {
  it('serves a model whose sha256 matches MODEL_SHA256', async () => {
    const ts = await startServer({ MODEL_URI: modelUri('classifier'), MODEL_SHA256: `sha256:${await sha256(classifierPath)}` });
    try {
      assert.equal(ts.rt.phase, 'ready');
      assert.equal((await fetch(`${ts.url}/v2/health/ready`)).status, 200);
    } finally {
      await ts.close();
    }
  });

  it('refuses to serve on a mismatch: clear log line, readiness fails, liveness holds', async () => {
    const wrong = '0'.repeat(64);
    const ts = await startServer({ MODEL_URI: modelUri('classifier'), MODEL_SHA256: wrong });
    try {
      assert.equal(ts.rt.phase, 'failed');
      const line = ts.logs.find((l) => l.reason === 'digest_mismatch');
      assert.ok(line, 'an error log line names the reason');
      assert.equal(line.level, 'error');
      assert.match(String(line.msg), new RegExp(`model digest mismatch: expected sha256 ${wrong}, got ${await sha256(classifierPath)}; refusing to serve`));
      assert.equal((await fetch(`${ts.url}/v2/health/ready`)).status, 400);
      assert.equal((await fetch(`${ts.url}/v2/models/weather/ready`)).status, 400);
      assert.equal((await fetch(`${ts.url}/v2/health/live`)).status, 200);
      const res = await postJson(inferUrl(ts), classifierRequest());
      assert.equal(res.status, 503);
      assert.equal(res.body.code, 'MODEL_NOT_READY');
      assert.match(String(res.body.error), /digest mismatch/);
      const metrics = await (await fetch(`${ts.url}/metrics`)).text();
      assert.match(metrics, /modelops_model_load_failures_total\{model="weather",version="1",reason="digest_mismatch"\} 1/);
      assert.match(metrics, /modelops_model_ready\{model="weather",version="1"\} 0/);
    } finally {
      await ts.close();
    }
  });
});

describe('model sources and signatures', () => {
  let dir: string;
  let http: Server;
  let httpUrl: string;
  let gate: Promise<void> = Promise.resolve();
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'modelops-server-'));
    http = createServer((req, res) => {
      void gate.then(async () => {
        try {
          const body = await readFile(path.join(MODELS, 'classifier', path.basename(req.url ?? '')));
          res.end(body);
        } catch {
          res.statusCode = 404;
          res.end();
        }
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  after(async () => {
    http.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('downloads over http, verifies the digest and reads signature.json beside it', async () => {
    const ts = await startServer({
      MODEL_URI: `${httpUrl}/model.onnx`, MODEL_SHA256: await sha256(classifierPath), MODEL_CACHE_DIR: path.join(dir, 'cache'),
      REFERENCE_PROFILE: `${httpUrl}/profile.json`,
    });
    try {
      assert.equal(ts.rt.phase, 'ready', ts.rt.failure);
      assert.deepEqual(ts.rt.signature?.inputs[0]?.features, ['precipitation', 'temp_max', 'temp_min', 'wind']);
      assert.equal((await postJson(inferUrl(ts), classifierRequest())).status, 200);
    } finally {
      await ts.close();
    }
  });

  it('reports live but not ready while the model is still downloading', async () => {
    let release = (): void => {};
    gate = new Promise((r) => { release = r; });
    const ts = await startServer({ MODEL_URI: `${httpUrl}/model.onnx`, MODEL_CACHE_DIR: path.join(dir, 'cache2') }, { waitReady: false });
    try {
      assert.equal((await fetch(`${ts.url}/v2/health/live`)).status, 200);
      assert.equal((await fetch(`${ts.url}/v2/health/ready`)).status, 400);
      const res = await postJson(inferUrl(ts), classifierRequest());
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '1');
      release();
      await ts.rt.loaded;
      assert.equal((await fetch(`${ts.url}/v2/health/ready`)).status, 200);
    } finally {
      release();
      gate = Promise.resolve();
      await ts.close();
    }
  });

  it('reads the signature from the ONNX metadata when no signature.json is beside the model', async () => {
    const m = path.join(dir, 'meta-only.onnx');
    await copyFile(classifierPath, m);
    const ts = await startServer({ MODEL_URI: pathToFileURL(m).toString() });
    try {
      assert.equal(ts.rt.phase, 'ready', ts.rt.failure);
      assert.deepEqual(ts.rt.signature?.outputs[0]?.classLabels, ['drizzle', 'fog', 'rain', 'snow', 'sun']);
      assert.equal(ts.rt.signature?.inputs[1]?.categorical, true);
    } finally {
      await ts.close();
    }
  });

  it('refuses a signature that belongs to another model', async () => {
    const sub = path.join(dir, 'mismatch');
    await import('node:fs/promises').then((fs) => fs.mkdir(sub, { recursive: true }));
    await copyFile(classifierPath, path.join(sub, 'model.onnx'));
    await writeFile(path.join(sub, 'signature.json'), JSON.stringify({
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'label', datatype: 'INT64', shape: [-1] }, { name: 'probabilities', datatype: 'FP32', shape: [-1, 5] }],
    }));
    const ts = await startServer({ MODEL_URI: pathToFileURL(path.join(sub, 'model.onnx')).toString() });
    try {
      assert.equal(ts.rt.phase, 'failed');
      assert.match(ts.rt.failure ?? '', /declares inputs \[features\] but the model has \[month, x\]/);
      assert.ok(ts.logs.some((l) => l.reason === 'signature_invalid'));
    } finally {
      await ts.close();
    }
  });

  it('fails readiness when the model cannot be fetched', async () => {
    const ts = await startServer({ MODEL_URI: `${httpUrl}/missing.onnx`, MODEL_CACHE_DIR: path.join(dir, 'cache3') });
    try {
      assert.equal(ts.rt.phase, 'failed');
      assert.ok(ts.logs.some((l) => l.reason === 'fetch_failed' && /answered 404/.test(String(l.msg))));
      assert.equal((await fetch(`${ts.url}/v2/health/live`)).status, 200);
    } finally {
      await ts.close();
    }
  });
});
