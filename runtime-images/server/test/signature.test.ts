// The trainer's own signature.json (docs/contracts.md, runtime-images/trainer run.py
// `_signature`) is what a trained model carries beside model.onnx: the server must serve it
// as written. Here the Seattle weather model's, as the trainer writes it, against the
// signature ONNX Runtime reports for that model (export.py: one float32 [N,1] input per
// numeric column, `label` string [N], `probabilities` float32 [N,5]).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DriftRecorder, parseProfile } from '../src/drift.ts';
import { decodeV1, decodeV2, encodeV1 } from '../src/protocol.ts';
import { isBatchable, mergeSignature, parseSignature, SignatureError, signatureFromSession } from '../src/signature.ts';
import type { Tensor } from '../src/tensor.ts';

const FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind'];
const LABELS = ['sun', 'rain', 'drizzle', 'fog', 'snow'];
const TRAINER_SIGNATURE = {
  format: 'onnx',
  opsets: { 'ai.onnx': 17, 'ai.onnx.ml': 2 },
  task: 'classification',
  target: { name: 'weather', type: 'category' },
  featureNames: FEATURES,
  classLabels: LABELS,
  inputs: FEATURES.map((name) => ({ name, dtype: 'float32', shape: [-1, 1], columnType: 'number', missing: 'NaN' })),
  outputs: [
    { name: 'label', dtype: 'string', shape: [-1] },
    { name: 'probabilities', dtype: 'float32', shape: [-1, 5] },
  ],
  preprocessing: FEATURES.map((name) => ({ name, type: 'number', encoding: 'standardize', fill: 0, mean: 1, std: 2 })),
};
const SESSION = signatureFromSession(
  FEATURES.map((name) => ({ name, isTensor: true, type: 'float32', shape: ['N', 1] })),
  [
    { name: 'label', isTensor: true, type: 'string', shape: ['N'] },
    { name: 'probabilities', isTensor: true, type: 'float32', shape: ['N', 5] },
  ],
);
const LIMITS = { maxRequestRows: 16 };
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

describe("the trainer's signature.json", () => {
  const sig = mergeSignature(SESSION, parseSignature(TRAINER_SIGNATURE, 'signature.json'), 'signature.json');

  it('is read into the protocol datatypes, one feature per input, NaN allowed, class labels on `label`', () => {
    assert.deepEqual(sig.inputs[0], { name: 'precipitation', datatype: 'FP32', shape: [-1, 1], features: ['precipitation'], allowNaN: true });
    assert.deepEqual(sig.outputs, [
      { name: 'label', datatype: 'BYTES', shape: [-1], classLabels: LABELS },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, 5] },
    ]);
    assert.ok(isBatchable(sig));
  });

  it('takes a category column as a categorical BYTES input', () => {
    const s = parseSignature({ ...TRAINER_SIGNATURE, inputs: [{ name: 'city', dtype: 'string', shape: [-1, 1], columnType: 'category', missing: 'empty string' }] });
    assert.deepEqual(s.inputs[0], { name: 'city', datatype: 'BYTES', shape: [-1, 1], features: ['city'], categorical: true });
  });

  it('still refuses a signature of another model', () => {
    const other = { ...TRAINER_SIGNATURE, inputs: TRAINER_SIGNATURE.inputs.map((i) => ({ ...i, dtype: 'float64' })) };
    assert.throws(() => mergeSignature(SESSION, parseSignature(other, 's'), 's'), (e: Error) => e instanceof SignatureError && /declared FP64 but the model has FP32/.test(e.message));
    assert.throws(() => parseSignature({ ...TRAINER_SIGNATURE, inputs: [{ name: 'x', dtype: 'complex64', shape: [-1, 1] }] }, 's'), /s\.inputs\[0\]\.dtype must be an ONNX element type/);
  });

  it('serves a V1 instance of raw columns and a V2 request of one [1,1] tensor per column', () => {
    const v1 = decodeV1(json({ instances: [{ precipitation: 0, temp_max: 25, temp_min: 14, wind: 3 }] }), sig, LIMITS);
    assert.deepEqual(v1.inputs.get('temp_max'), { datatype: 'FP32', shape: [1, 1], data: new Float32Array([25]) });
    const v2 = decodeV2(json({ inputs: FEATURES.map((name, i) => ({ name, datatype: 'FP32', shape: [1, 1], data: [[0, 25, 14, 3][i]] })) }), undefined, sig, LIMITS);
    assert.deepEqual(v2.inputs.get('wind')?.data, new Float32Array([3]));
    // A missing value is NaN, as the trainer's graph imputes it.
    const nan = decodeV1(json({ instances: [{ precipitation: null, temp_max: 25, temp_min: 14, wind: 3 }] }), sig, LIMITS);
    assert.ok(Number.isNaN((nan.inputs.get('precipitation')?.data as Float32Array)[0]));
  });

  it('answers the label as text and counts it as a predicted class', () => {
    const outputs = new Map<string, Tensor>([
      ['label', { datatype: 'BYTES', shape: [1], data: ['sun'] }],
      ['probabilities', { datatype: 'FP32', shape: [1, 5], data: new Float32Array([0.9, 0.04, 0.03, 0.02, 0.01]) }],
    ]);
    const v1 = encodeV1(sig, outputs, 1);
    assert.equal((v1.predictions[0] as { label: unknown }).label, 'sun');
    const drift = new DriftRecorder(sig, undefined, 'seattle-weather', '1');
    drift.observeOutputs(outputs);
    const classes = drift.metrics().find((m) => m.name === 'modelops_prediction_class_total');
    const sun = classes?.get().values.find((v) => v.labels.class === 'sun');
    assert.equal(sun?.value, 1);
  });
});

// A regressor: the trainer's signature names its numeric target, and the Dataset ingest's
// profile (the one the operator hands the server) names none, so the signature's target is
// what bins the scalar predictions on the target's edges, for the DriftMonitor to compare.
describe("a regressor's signature.json and the Dataset's profile", () => {
  const regressor = {
    ...TRAINER_SIGNATURE,
    task: 'regression',
    target: { name: 'temp_max', type: 'number' },
    featureNames: ['temp_min'],
    classLabels: null,
    inputs: [{ name: 'temp_min', dtype: 'float32', shape: [-1, 1], columnType: 'number', missing: 'NaN' }],
    outputs: [{ name: 'prediction', dtype: 'float32', shape: [-1] }],
  };
  const session = signatureFromSession([{ name: 'temp_min', isTensor: true, type: 'float32', shape: ['N', 1] }], [{ name: 'prediction', isTensor: true, type: 'float32', shape: ['N'] }]);
  const sig = mergeSignature(session, parseSignature(regressor, 'signature.json'), 'signature.json');
  // DatasetProfile's form: a list of columns, no target.
  const profile = parseProfile({ columns: [
    { name: 'temp_min', type: 'number', histogram: { edges: [-8, 0, 5, 10, 15, 19], counts: [1, 2, 3, 2, 1] } },
    { name: 'temp_max', type: 'number', histogram: { edges: [-2, 5, 10, 15, 20, 25, 30, 36], counts: [1, 1, 2, 3, 2, 1, 1] } },
  ] });

  it('keeps the target the trainer names', () => {
    assert.equal(sig.target, 'temp_max');
    assert.equal(parseSignature({ ...regressor, target: 'temp_max' }).target, 'temp_max');
    assert.equal(parseSignature({ inputs: [], outputs: [] }).target, undefined);
  });

  it('bins the predictions on the target column\'s edges of a profile that names no target', () => {
    const drift = new DriftRecorder(sig, profile, 'seattle-temp', '1');
    drift.observeOutputs(new Map<string, Tensor>([['prediction', { datatype: 'FP32', shape: [3], data: new Float32Array([12, 17, 33]) }]]));
    const values = drift.metrics().find((m) => m.name === 'modelops_prediction_value')!.get().values;
    const le = values.filter((v) => v.metricName === 'modelops_prediction_value_bucket').map((v) => [v.labels.le, v.value]);
    assert.deepEqual(le, [[-2, 0], [5, 0], [10, 0], [15, 1], [20, 2], [25, 2], [30, 2], [36, 3], ['+Inf', 3]]);
  });
});
