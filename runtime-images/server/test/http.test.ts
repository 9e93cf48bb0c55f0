// The Open Inference Protocol surface over real HTTP on loopback, against the classifier.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { classifierEnv, classifierRequest, inferUrl, postJson, startServer, type TestServer } from './helpers.ts';

describe('V2 REST against the classifier', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startServer(classifierEnv({ MAX_BODY_BYTES: '65536', MAX_REQUEST_ROWS: '64' }));
  });
  after(() => ts.close());

  it('answers liveness and readiness with 200 and empty bodies', async () => {
    for (const p of ['/v2/health/live', '/v2/health/ready', '/v2/models/weather/ready', '/v2/models/weather/versions/1/ready']) {
      const res = await fetch(ts.url + p);
      assert.equal(res.status, 200, p);
      assert.equal(await res.text(), '', p);
    }
  });

  it('describes the server and the model', async () => {
    assert.deepEqual(await (await fetch(`${ts.url}/v2`)).json(), { name: 'modelops-server', version: '0.1.0', extensions: ['binary_tensor_data'] });
    const meta = await (await fetch(`${ts.url}/v2/models/weather/versions/1`)).json();
    assert.deepEqual(meta, {
      name: 'weather', versions: ['1'], platform: 'onnxruntime_onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }, { name: 'month', datatype: 'INT64', shape: [-1, 1] }],
      outputs: [{ name: 'label', datatype: 'INT64', shape: [-1] }, { name: 'probabilities', datatype: 'FP32', shape: [-1, 5] }],
    });
  });

  it('infers with JSON tensors and echoes the request id', async () => {
    const res = await postJson(inferUrl(ts), { id: 'req-1', ...classifierRequest(3) });
    assert.equal(res.status, 200);
    assert.equal(res.body.id, 'req-1');
    assert.equal(res.body.model_name, 'weather');
    assert.equal(res.body.model_version, '1');
    const [label, probs] = res.body.outputs as { name: string; shape: number[]; data: number[] }[];
    assert.equal(label?.name, 'label');
    assert.deepEqual(label?.shape, [3]);
    assert.deepEqual(probs?.shape, [3, 5]);
    for (let r = 0; r < 3; r++) {
      const row = probs?.data.slice(r * 5, r * 5 + 5) as number[];
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'softmax rows sum to 1');
      assert.equal(label?.data[r], row.indexOf(Math.max(...row)), 'label is the argmax');
    }
  });

  // V2 inference is matched before express (src/app.ts); it accepts what express's router did.
  it('infers on every spelling of the V2 route that the router accepted', async () => {
    for (const p of ['/v2/models/weather/infer', '/v2/models/weather/versions/1/infer', '/v2/models/weather/infer/', '/V2/Models/weather/INFER', '/v2/models/%77eather/infer', '/v2/models/weather/infer?trace=1']) {
      const res = await postJson(ts.url + p, classifierRequest(1));
      assert.equal(res.status, 200, `${p}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.model_name, 'weather', p);
    }
    const bad = await postJson(`${ts.url}/v2/models/%E0%A4%A/infer`, classifierRequest(1));
    assert.equal(bad.status, 404);
    assert.equal(bad.body.code, 'MODEL_NOT_FOUND');
    assert.match(String(bad.headers.get('content-type')), /^application\/json/);
    const get = await fetch(`${ts.url}/v2/models/weather/infer`);
    assert.equal(get.status, 404, 'GET is not an inference');
    assert.equal(((await get.json()) as { code: string }).code, 'ROUTE_NOT_FOUND');
  });

  it('returns only the requested outputs', async () => {
    const res = await postJson(inferUrl(ts), { ...classifierRequest(1), outputs: [{ name: 'label' }] });
    assert.deepEqual((res.body.outputs as { name: string }[]).map((o) => o.name), ['label']);
  });

  it('speaks the binary tensor data extension both ways', async () => {
    const header = Buffer.from(JSON.stringify({
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [2, 4], parameters: { binary_data_size: 32 } },
        { name: 'month', datatype: 'INT64', shape: [2, 1], parameters: { binary_data_size: 16 } },
      ],
      outputs: [{ name: 'probabilities', parameters: { binary_data: true } }, { name: 'label' }],
    }));
    const x = Buffer.from(new Float32Array([0, 10, 5, 3, 1, 20, 10, 2]).buffer);
    const month = Buffer.from(new BigInt64Array([1n, 7n]).buffer);
    const res = await fetch(inferUrl(ts), {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
      body: Buffer.concat([header, x, month]),
    });
    assert.equal(res.status, 200);
    const len = Number(res.headers.get('inference-header-content-length'));
    const body = Buffer.from(await res.arrayBuffer());
    const head = JSON.parse(body.subarray(0, len).toString()) as { outputs: { name: string; parameters?: { binary_data_size: number }; data?: number[] }[] };
    assert.equal(head.outputs[0]?.parameters?.binary_data_size, 40);
    const probs = new Float32Array(body.buffer.slice(body.byteOffset + len, body.byteOffset + len + 40));
    const json = await postJson(inferUrl(ts), { inputs: [
      { name: 'x', datatype: 'FP32', shape: [2, 4], data: [0, 10, 5, 3, 1, 20, 10, 2] },
      { name: 'month', datatype: 'INT64', shape: [2, 1], data: [1, 7] },
    ] });
    const jsonProbs = (json.body.outputs as { data: number[] }[])[1]?.data as number[];
    assert.deepEqual([...probs], jsonProbs, 'binary and JSON answers agree');
    assert.deepEqual(head.outputs[1]?.data, (json.body.outputs as { data: number[] }[])[0]?.data);
  });

  it('answers KServe V1 :predict with one prediction per instance', async () => {
    const res = await postJson(`${ts.url}/v1/models/weather:predict`, {
      instances: [{ precipitation: 0, temp_max: 10, temp_min: 5, wind: 3, month: 1 }, { x: [1, 20, 10, 2], month: [7] }],
    });
    assert.equal(res.status, 200);
    const preds = res.body.predictions as { label: number; probabilities: number[] }[];
    assert.equal(preds.length, 2);
    assert.equal(preds[0]?.probabilities.length, 5);
    const v1 = await (await fetch(`${ts.url}/v1/models/weather`)).json();
    assert.deepEqual(v1, { name: 'weather', ready: true });
  });

  // Every error path answers 4xx with a stable code and a message saying what was expected.
  const W = '/v2/models/weather/infer';
  const month1 = { name: 'month', datatype: 'INT64', shape: [1, 1], data: [1] };
  const errors: [string, string, unknown, Record<string, string>, number, string, RegExp][] = [
    ['an unknown model', '/v2/models/iris/infer', classifierRequest(), {}, 404, 'MODEL_NOT_FOUND', /"iris" is not served/],
    ['an unknown version', '/v2/models/weather/versions/9/infer', classifierRequest(), {}, 404, 'MODEL_VERSION_NOT_FOUND', /served version is "1"/],
    ['an unknown route', '/v3/anything', {}, {}, 404, 'ROUTE_NOT_FOUND', /POST \/v3\/anything/],
    ['malformed JSON', W, '{"inputs": [', {}, 400, 'INVALID_JSON', /not valid JSON/],
    ['a wrong input name', W, { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] }, {}, 400, 'INPUT_UNKNOWN', /expects x \(FP32 \[-1,4\]\), month \(INT64 \[-1,1\]\)/],
    ['a missing input', W, { inputs: [month1] }, {}, 400, 'INPUT_MISSING', /missing input\(s\) x/],
    ['a wrong dtype', W, { inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 4], data: [1, 2, 3, 4] }, month1] }, {}, 400, 'DATATYPE_MISMATCH', /expected FP32/],
    ['a wrong shape', W, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }, month1] }, {}, 400, 'SHAPE_MISMATCH', /expected \[-1,4\]/],
    ['a NaN', W, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 'NaN', 3, 4] }, month1] }, {}, 400, 'NAN_NOT_ALLOWED', /element 1 is NaN/],
    ['an out-of-range integer', W, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }, { ...month1, data: [2 ** 60] }] }, {}, 400, 'INVALID_VALUE', /expected an integer/],
    ['an oversized body', W, { pad: 'x'.repeat(70_000) }, {}, 413, 'BODY_TOO_LARGE', /limit of 65536 bytes/],
    ['a form-encoded body', W, 'a=1', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'UNSUPPORTED_MEDIA_TYPE', /expected application\/json/],
    ['too many rows', W, classifierRequest(65), {}, 400, 'BATCH_TOO_LARGE', /65 rows; at most 64/],
    ['a binary header longer than the body', W, '{}', { 'inference-header-content-length': '99' }, 400, 'INVALID_BINARY_HEADER', /does not fit a body of 2 bytes/],
    ['a V1 body without instances', '/v1/models/weather:predict', { data: [] }, {}, 400, 'INVALID_REQUEST', /instances/],
    ['a V1 instance with a string feature', '/v1/models/weather:predict', { instances: [{ x: [1, 'a', 3, 4], month: 1 }] }, {}, 400, 'INVALID_VALUE', /expected a number/],
    ['a V1 predict on an unknown model', '/v1/models/iris:predict', { instances: [] }, {}, 404, 'MODEL_NOT_FOUND', /iris/],
  ];
  for (const [name, path, body, headers, status, code, message] of errors) {
    it(`answers ${name} with ${status} ${code}`, async () => {
      const res = await postJson(ts.url + path, body, headers);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.code, code);
      assert.match(String(res.body.error), message);
    });
  }

  it('keeps serving after every error above', async () => {
    const res = await postJson(inferUrl(ts), classifierRequest(2));
    assert.equal(res.status, 200);
    assert.equal((await fetch(`${ts.url}/v2/health/live`)).status, 200);
  });
});
