import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dataset, DriftMonitor, InferenceService, ModelVersion } from '../../api/v1alpha1/types.ts';
import { isBlocked, resolveTarget, watchedFeatures } from './reference.ts';

const meta = (name: string) => ({ name, namespace: 'prod' });
const v1 = { version: 'aaa', digest: 'aaa111', uri: 's3://b/d1', profileUri: 's3://b/p1', rows: 736, createdAt: '2026-11-01T00:00:00Z' };
const v2 = { version: 'bbb', digest: 'bbb222', uri: 's3://b/d2', profileUri: 's3://b/p2', rows: 1461, createdAt: '2026-11-02T00:00:00Z' };

const dm = (reference?: DriftMonitor['spec']['reference'], features?: DriftMonitor['spec']['features']): DriftMonitor => ({
  apiVersion: 'modelops.dev/v1alpha1', kind: 'DriftMonitor', metadata: meta('m'), spec: { targetRef: { name: 'weather' }, schedule: '@hourly', ...(reference ? { reference } : {}), ...(features ? { features } : {}) },
});
const isvc = (serving?: string): InferenceService => ({ apiVersion: 'modelops.dev/v1alpha1', kind: 'InferenceService', metadata: meta('weather'), spec: { model: { name: 'weather', alias: 'production' } }, status: serving ? { servingModelVersion: serving } : {} });
const mv: ModelVersion = {
  apiVersion: 'modelops.dev/v1alpha1', kind: 'ModelVersion', metadata: meta('weather-v1'),
  spec: { model: 'weather', version: 1, artifact: { uri: 's3://b/m.onnx', digest: 'sha256:x', format: 'onnx' }, lineage: { dataset: { name: 'seattle', version: 'aaa', digest: 'aaa111' } }, signature: { inputs: [{ name: 'temp_max', datatype: 'FP32', shape: [-1, 1], feature: 'temp_max' }, { name: 'wind', datatype: 'FP32', shape: [-1, 1], feature: 'wind' }], outputs: [] } },
} as ModelVersion;
const ds: Dataset = {
  apiVersion: 'modelops.dev/v1alpha1', kind: 'Dataset', metadata: meta('seattle'),
  spec: { source: { uri: 's3://b/x.csv' }, schema: { columns: [{ name: 'temp_max', type: 'number' }, { name: 'wind', type: 'number' }, { name: 'weather', type: 'category', role: 'target' }, { name: 'date', type: 'timestamp', role: 'timestamp' }] } },
  status: { currentVersion: v2, versions: [v2, v1] },
};

describe('resolveTarget', () => {
  const blocked: [string, ReturnType<typeof resolveTarget>, RegExp][] = [
    ['a missing InferenceService', resolveTarget(dm(), [], [mv], [ds]), /InferenceService weather does not exist in namespace prod; create it or correct spec.targetRef.name/],
    ['a service serving nothing yet', resolveTarget(dm(), [isvc()], [mv], [ds]), /serves no ModelVersion yet/],
    ['a missing reference Dataset', resolveTarget(dm({ datasetRef: { name: 'other' } }), [isvc('weather-v1')], [mv], [ds]), /Dataset other \(spec.reference.datasetRef\) does not exist/],
    ['a version retention removed', resolveTarget(dm({ datasetRef: { name: 'seattle', version: 'zzz' } }), [isvc('weather-v1')], [mv], [ds]), /has no version zzz any more/],
  ];
  for (const [name, got, message] of blocked) {
    it(`blocks on ${name}, saying what to do`, () => {
      assert.ok(isBlocked(got));
      assert.match(got.message, message);
    });
  }
  it('defaults to the Dataset version in the served model\'s lineage, not the current one', () => {
    const r = resolveTarget(dm(), [isvc('weather-v1')], [mv], [ds]);
    assert.ok(!isBlocked(r));
    assert.equal(r.version.version, 'aaa');
  });
  it('takes the current version of spec.reference without a pinned version', () => {
    const r = resolveTarget(dm({ datasetRef: { name: 'seattle' } }), [isvc('weather-v1')], [mv], [ds]);
    assert.ok(!isBlocked(r));
    assert.equal(r.version.version, 'bbb');
  });
});

describe('watchedFeatures', () => {
  it('are spec.features when given', () => assert.deepEqual(watchedFeatures(dm(undefined, [{ name: 'wind' }]), mv, ds), ['wind']));
  it('else the columns the signature feeds from', () => assert.deepEqual(watchedFeatures(dm(), mv, ds), ['temp_max', 'wind']));
  it('else the Dataset\'s feature columns (role defaults to feature; target, timestamp left out)', () => {
    const bare = { ...mv, spec: { ...mv.spec, signature: { inputs: [], outputs: [] } } } as ModelVersion;
    assert.deepEqual(watchedFeatures(dm(), bare, ds), ['temp_max', 'wind']);
  });
});
