import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { datasetDataKey, datasetProfileKey, modelKey, defaultPredictionLogUri, predictionLogUri, shortVersion, trainingRunPrefix } from './layout.ts';
import { checkKey } from './store.ts';

const digest = 'ab'.repeat(32);

describe('layout', () => {
  it('puts a dataset version under its sha256', () => {
    assert.equal(datasetDataKey('ml', 'weather', digest), `datasets/ml/weather/${digest}/data.parquet`);
    assert.equal(datasetProfileKey('ml', 'weather', `sha256:${digest}`), `datasets/ml/weather/${digest}/profile.json`);
  });
  it('puts a model version under its model and version', () => {
    assert.equal(modelKey('ml', 'weather-clf', 'v3'), 'models/ml/weather-clf/v3/model.onnx');
  });
  it('gives each training run its own folder under its TrainingJob', () => {
    assert.equal(trainingRunPrefix('ml', 'weather', 'weather-g2'), 'training/ml/weather/weather-g2/');
  });
  it('puts prediction logs under the service and revision', () => {
    assert.equal(defaultPredictionLogUri('s3://models/store/', 'ml', 'weather'), 's3://models/store/predictions/ml/weather');
    assert.equal(predictionLogUri({}, 'file:///var/store', 'ml', 'weather'), 'file:///var/store/predictions/ml/weather');
    assert.equal(predictionLogUri({ uri: 's3://logs/weather' }, 's3://models/store', 'ml', 'weather'), 's3://logs/weather', 'the service\'s own uri wins');
    assert.equal(predictionLogUri({}, undefined, 'ml', 'weather'), undefined);
  });
  it('names a version by the first 12 hex digits', () => {
    assert.equal(shortVersion(`sha256:${digest}`), 'abababababab');
  });
  const bad: [string, () => unknown][] = [
    ['a short digest', () => datasetDataKey('ml', 'weather', 'abc')],
    ['an uppercase digest', () => datasetDataKey('ml', 'weather', digest.toUpperCase())],
    ['a name with a slash', () => datasetDataKey('ml', 'a/b', digest)],
    ['a version that climbs out', () => modelKey('ml', 'm', '..')],
    ['a run name that climbs out', () => trainingRunPrefix('ml', 'weather', '..')],
  ];
  for (const [name, f] of bad) it(`refuses ${name}`, () => assert.throws(f));
});

describe('checkKey', () => {
  for (const key of ['', '/abs', 'a//b', 'a/./b', 'a/../b', 'dir/']) it(`refuses "${key}"`, () => assert.throws(() => checkKey(key), /invalid artifact key/));
  it('accepts a relative path', () => assert.equal(checkKey('a/b.c'), 'a/b.c'));
});
