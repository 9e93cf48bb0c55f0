import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrainingJob } from '../../api/v1alpha1/types.ts';
import { desiredModelVersion, nextVersion, signatureFromTrainer } from './registry.ts';
import { ContractError, parseTerminationMessage, primaryMetric } from './result.ts';
import type { TrainerSuccess } from './result.ts';

const success = {
  status: 'Succeeded',
  task: 'classification',
  model: { uri: 's3://models/runs/abc/model.onnx', sha256: 'a'.repeat(64), format: 'onnx' },
  signatureUri: 's3://models/runs/abc/signature.json',
  metrics: { accuracy: 0.8421, f1_macro: 0.61, roc_auc: null },
  baselineMetrics: { accuracy: 0.43 },
  dataset: { version: 'sha256:1234' },
};

describe('parseTerminationMessage', () => {
  it('reads a success, leaving out metrics that are null', () => {
    const r = parseTerminationMessage(JSON.stringify(success)) as TrainerSuccess;
    assert.equal(r.status, 'Succeeded');
    assert.deepEqual(r.metrics, { accuracy: 0.8421, f1_macro: 0.61 });
    assert.equal(primaryMetric(r), 'accuracy=0.842');
  });
  it('reads a failure with its reason and column', () => {
    const r = parseTerminationMessage('{"status":"Failed","reason":"MissingColumn","column":"humidity","message":"column \'humidity\' is missing"}');
    assert.deepEqual(r, { status: 'Failed', reason: 'MissingColumn', column: 'humidity', message: "column 'humidity' is missing" });
  });
  const broken: Array<[string | undefined, RegExp]> = [
    [undefined, /left no termination message/],
    ['Traceback (most recent call last):', /not JSON: Traceback/],
    ['{"status":"Done"}', /must be Succeeded or Failed, got "Done"/],
    [JSON.stringify({ ...success, model: { uri: 'x', sha256: 'short' } }), /model\.sha256 \(64 hex digits\)/],
    [JSON.stringify({ ...success, signatureUri: undefined }), /must report signatureUri/],
  ];
  for (const [text, message] of broken) {
    it(`refuses ${text === undefined ? 'an empty message' : text.slice(0, 30)} with what is wrong`, () => {
      assert.throws(() => parseTerminationMessage(text), (e) => e instanceof ContractError && message.test(e.message));
    });
  }
});

describe('signatureFromTrainer', () => {
  it('maps the trainer\'s dtypes to Open Inference Protocol datatypes and marks feature inputs', () => {
    const sig = signatureFromTrainer({
      featureNames: ['temp_max', 'station'],
      inputs: [
        { name: 'temp_max', dtype: 'float32', shape: [-1, 1] },
        { name: 'station', dtype: 'string', shape: [-1, 1] },
      ],
      outputs: [
        { name: 'label', dtype: 'string', shape: [-1] },
        { name: 'probabilities', dtype: 'float32', shape: [-1, 3] },
      ],
      classLabels: ['fog', 'rain', 'sun'],
    });
    assert.deepEqual(sig.inputs, [
      { name: 'temp_max', datatype: 'FP32', shape: [-1, 1], feature: 'temp_max' },
      { name: 'station', datatype: 'BYTES', shape: [-1, 1], feature: 'station' },
    ]);
    assert.deepEqual(sig.outputs.map((o) => o.datatype), ['BYTES', 'FP32']);
    assert.deepEqual(sig.classLabels, ['fog', 'rain', 'sun']);
  });
  it('refuses a dtype it cannot serve', () => {
    assert.throws(() => signatureFromTrainer({ inputs: [{ name: 'x', dtype: 'complex64', shape: [1] }], outputs: [{ name: 'y', dtype: 'float32', shape: [1] }] }), /complex64/);
  });
});

describe('desiredModelVersion', () => {
  const tj: TrainingJob = {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'TrainingJob',
    metadata: { name: 'weather', namespace: 'ml', uid: 'u' },
    spec: { datasetRef: { name: 'seattle' }, model: 'seattle-weather', hyperparameters: { epochs: 10 }, registration: { aliases: ['candidate'] } },
  };
  it('names the version <model>-v<N> and records the lineage and digest', () => {
    const result = parseTerminationMessage(JSON.stringify(success)) as TrainerSuccess;
    const mv = desiredModelVersion(tj, {
      version: 3,
      result,
      signature: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }] },
      datasetName: 'seattle',
      datasetVersion: '9c1f3e2a7b4d',
      jobName: 'weather-g1',
      image: 'localhost/modelops/trainer:0.1.0',
    });
    assert.equal(mv.metadata.name, 'seattle-weather-v3');
    assert.equal(mv.spec.artifact.digest, `sha256:${'a'.repeat(64)}`);
    assert.deepEqual(mv.spec.lineage?.dataset, { name: 'seattle', version: '9c1f3e2a7b4d' });
    assert.deepEqual(mv.spec.lineage?.hyperparameters, { epochs: 10 });
    assert.deepEqual(mv.spec.aliases, ['candidate']);
  });
  it('takes the next free version number', () => {
    assert.equal(nextVersion([]), 1);
    assert.equal(nextVersion([1, 4, 2]), 5);
  });
});
