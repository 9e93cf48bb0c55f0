import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServerError } from '../src/errors.ts';
import { decodeV1, decodeV2, encodeV1, encodeV2 } from '../src/protocol.ts';
import type { Signature } from '../src/signature.ts';
import type { Tensor } from '../src/tensor.ts';

const SIG: Signature = {
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [-1, 2], features: ['a', 'b'] },
    { name: 'k', datatype: 'INT64', shape: [-1, 1], features: ['k'], categorical: true },
  ],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
};
const LIMITS = { maxRequestRows: 4 };
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const x = (shape: number[], data: unknown) => ({ name: 'x', datatype: 'FP32', shape, data });
const k = (shape: number[], data: unknown) => ({ name: 'k', datatype: 'INT64', shape, data });

describe('decodeV2 rejects what the signature does not allow', () => {
  const cases: [string, unknown, string, RegExp][] = [
    ['a body that is not an object', [1], 'INVALID_REQUEST', /JSON object/],
    ['an unknown input', { inputs: [x([1, 2], [1, 2]), k([1, 1], [1]), { name: 'z', datatype: 'FP32', shape: [1], data: [1] }] }, 'INPUT_UNKNOWN', /unknown input "z"; the model expects x \(FP32 \[-1,2\]\), k \(INT64 \[-1,1\]\)/],
    ['a missing input', { inputs: [x([1, 2], [1, 2])] }, 'INPUT_MISSING', /missing input\(s\) k/],
    ['a duplicate input', { inputs: [x([1, 2], [1, 2]), x([1, 2], [1, 2])] }, 'INPUT_DUPLICATE', /"x"/],
    ['a wrong datatype', { inputs: [{ ...x([1, 2], [1, 2]), datatype: 'FP64' }, k([1, 1], [1])] }, 'DATATYPE_MISMATCH', /FP64; expected FP32/],
    ['a wrong shape', { inputs: [x([1, 3], [1, 2, 3]), k([1, 1], [1])] }, 'SHAPE_MISMATCH', /\[1,3\]; expected \[-1,2\]/],
    ['a wrong rank', { inputs: [x([2], [1, 2]), k([1, 1], [1])] }, 'SHAPE_MISMATCH', /expected \[-1,2\]/],
    ['inputs with different batch sizes', { inputs: [x([1, 2], [1, 2]), k([2, 1], [1, 2])] }, 'SHAPE_MISMATCH', /batch dimension 1/],
    ['too few elements', { inputs: [x([2, 2], [1, 2, 3]), k([2, 1], [1, 2])] }, 'DATA_SIZE_MISMATCH', /carries 3 element\(s\) but its shape needs 4/],
    ['too many elements', { inputs: [x([1, 2], [1, 2, 3]), k([1, 1], [1])] }, 'DATA_SIZE_MISMATCH', /shape needs 2/],
    ['a string where a number belongs', { inputs: [x([1, 2], [1, 'a']), k([1, 1], [1])] }, 'INVALID_VALUE', /element 1 is not valid; expected a number/],
    ['a fraction in an integer input', { inputs: [x([1, 2], [1, 2]), k([1, 1], [1.5])] }, 'INVALID_VALUE', /expected an integer/],
    ['a missing value (null) where NaN is not allowed', { inputs: [x([1, 2], [null, 2]), k([1, 1], [1])] }, 'NAN_NOT_ALLOWED', /element 0 is NaN/],
    ['more rows than MAX_REQUEST_ROWS', { inputs: [x([5, 2], new Array(10).fill(0)), k([5, 1], [1, 2, 3, 4, 5])] }, 'BATCH_TOO_LARGE', /5 rows; at most 4/],
    ['an unknown output', { inputs: [x([1, 2], [1, 2]), k([1, 1], [1])], outputs: [{ name: 'nope' }] }, 'OUTPUT_UNKNOWN', /"nope"; the model has y/],
    ['a negative dimension', { inputs: [x([-1, 2], [1, 2]), k([1, 1], [1])] }, 'INVALID_REQUEST', /non-negative/],
  ];
  for (const [name, body, code, message] of cases) {
    it(`rejects ${name} with ${code}`, () => {
      assert.throws(() => decodeV2(json(body), undefined, SIG, LIMITS), (err: unknown) =>
        err instanceof ServerError && err.code === code && message.test(err.message));
    });
  }

  it('rejects a huge shape carrying little data before allocating it (DATA_SIZE_MISMATCH)', () => {
    const dyn: Signature = { inputs: [{ name: 'z', datatype: 'FP32', shape: [-1, -1] }], outputs: [] };
    const body = json({ inputs: [{ name: 'z', datatype: 'FP32', shape: [1, 1e12], data: [1, 2] }] });
    assert.throws(() => decodeV2(body, undefined, dyn, LIMITS), (err: ServerError) =>
      err.code === 'DATA_SIZE_MISMATCH' && /shape needs 1000000000000/.test(err.message));
  });

  it('rejects malformed JSON with INVALID_JSON', () => {
    assert.throws(() => decodeV2(Buffer.from('{"inputs":'), undefined, SIG, LIMITS), { code: 'INVALID_JSON' });
  });
});

describe('decodeV2 accepts', () => {
  it('nested and flat data alike', () => {
    const nested = decodeV2(json({ inputs: [x([2, 2], [[1, 2], [3, 4]]), k([2, 1], [[1], [2]])] }), undefined, SIG, LIMITS);
    const flat = decodeV2(json({ inputs: [x([2, 2], [1, 2, 3, 4]), k([2, 1], [1, 2])] }), undefined, SIG, LIMITS);
    assert.deepEqual([...(nested.inputs.get('x')?.data as Float32Array)], [1, 2, 3, 4]);
    assert.deepEqual(nested.inputs.get('x')?.data, flat.inputs.get('x')?.data);
    assert.deepEqual(nested.inputs.get('k')?.data, new BigInt64Array([1n, 2n]));
    assert.equal(nested.rows, 2);
  });

  it('binary tensors after the JSON header, mixed with JSON tensors', () => {
    const header = Buffer.from(JSON.stringify({ inputs: [{ ...x([2, 2], undefined), parameters: { binary_data_size: 16 } }, k([2, 1], [3, 4])] }));
    const body = Buffer.concat([header, Buffer.from(new Float32Array([1.5, 2.5, 3.5, 4.5]).buffer)]);
    const req = decodeV2(body, header.length, SIG, LIMITS);
    assert.deepEqual([...(req.inputs.get('x')?.data as Float32Array)], [1.5, 2.5, 3.5, 4.5]);
  });
});

describe('decodeV2 binary extension errors', () => {
  const header = (size: number) => Buffer.from(JSON.stringify({ inputs: [{ ...x([1, 2], undefined), parameters: { binary_data_size: size } }, k([1, 1], [1])] }));
  const cases: [string, () => [Buffer, number], string][] = [
    ['a header length past the body', () => [header(8), 10_000], 'INVALID_BINARY_HEADER'],
    ['a binary size that does not match the shape', () => { const h = header(4); return [Buffer.concat([h, Buffer.alloc(4)]), h.length]; }, 'DATA_SIZE_MISMATCH'],
    ['bytes no input claims', () => { const h = header(8); return [Buffer.concat([h, Buffer.alloc(12)]), h.length]; }, 'INVALID_BINARY_HEADER'],
    ['a binary size running past the body', () => { const h = header(8); return [Buffer.concat([h, Buffer.alloc(4)]), h.length]; }, 'INVALID_BINARY_HEADER'],
    ['NaN in binary data', () => { const h = header(8); return [Buffer.concat([h, Buffer.from(new Float32Array([Number.NaN, 1]).buffer)]), h.length]; }, 'NAN_NOT_ALLOWED'],
  ];
  for (const [name, make, code] of cases) {
    it(`rejects ${name} with ${code}`, () => {
      const [body, len] = make();
      assert.throws(() => decodeV2(body, len, SIG, LIMITS), { code });
    });
  }
});

describe('encodeV2', () => {
  const outputs = new Map<string, Tensor>([['y', { datatype: 'FP32', shape: [2], data: new Float32Array([0.5, 1.5]) }]]);
  it('writes JSON outputs and echoes the request id', () => {
    const res = encodeV2('m', '3', { id: 'r1', inputs: new Map(), rows: 2, outputs: [{ name: 'y', binary: false }] }, outputs);
    assert.equal(res.headerLength, undefined);
    assert.deepEqual(JSON.parse(res.body as string), {
      model_name: 'm', model_version: '3', id: 'r1', outputs: [{ name: 'y', datatype: 'FP32', shape: [2], data: [0.5, 1.5] }],
    });
  });
  it('writes binary outputs after the header with binary_data_size', () => {
    const res = encodeV2('m', '3', { id: undefined, inputs: new Map(), rows: 2, outputs: [{ name: 'y', binary: true }] }, outputs);
    const body = res.body as Buffer;
    const head = JSON.parse(body.subarray(0, res.headerLength).toString()) as { outputs: { parameters: { binary_data_size: number } }[] };
    assert.equal(head.outputs[0]?.parameters.binary_data_size, 8);
    const tail = body.subarray(res.headerLength);
    assert.deepEqual([tail.readFloatLE(0), tail.readFloatLE(4)], [0.5, 1.5]);
  });
});

describe('KServe V1', () => {
  it('takes instances keyed by input or by feature name', () => {
    const req = decodeV1(json({ instances: [{ x: [1, 2], k: 3 }, { a: 5, b: 6, k: [4] }] }), SIG, LIMITS);
    assert.deepEqual([...(req.inputs.get('x')?.data as Float32Array)], [1, 2, 5, 6]);
    assert.deepEqual(req.inputs.get('k')?.data, new BigInt64Array([3n, 4n]));
    assert.deepEqual(req.inputs.get('k')?.shape, [2, 1]);
  });
  it('says which instance lacks an input', () => {
    assert.throws(() => decodeV1(json({ instances: [{ x: [1, 2] }] }), SIG, LIMITS), (err: ServerError) =>
      err.code === 'INPUT_MISSING' && /k \(or features k\) in instance 0/.test(err.message));
  });
  it('rejects a body without instances', () => {
    assert.throws(() => decodeV1(json({ inputs: [] }), SIG, LIMITS), { code: 'INVALID_REQUEST' });
  });
  it('answers one prediction per row', () => {
    const out = encodeV1(SIG, new Map([['y', { datatype: 'FP32', shape: [2], data: new Float32Array([1, 2]) } as Tensor]]), 2);
    assert.deepEqual(out, { predictions: [1, 2] });
  });
});
