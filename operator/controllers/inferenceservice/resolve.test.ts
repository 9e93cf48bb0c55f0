import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dataset, InferenceService, ModelVersion } from '../../api/v1alpha1/types.ts';
import { follows, referenceProfile, resolveModel } from './resolve.ts';

function isvc(model: InferenceService['spec']['model'], namespace = 'ml'): InferenceService {
  return { apiVersion: 'modelops.dev/v1alpha1', kind: 'InferenceService', metadata: { name: 'weather', namespace }, spec: { model } };
}

function mv(name: string, opts: { phase?: 'Pending' | 'Ready' | 'Invalid'; holds?: string[]; claims?: string[]; namespace?: string; message?: string } = {}): ModelVersion {
  const [, model, n] = /^(.*)-v(\d+)$/.exec(name)!;
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'ModelVersion',
    metadata: { name, namespace: opts.namespace ?? 'ml', uid: `uid-${name}` },
    spec: { model: model!, version: Number(n), artifact: { uri: `s3://b/${name}/model.onnx`, digest: `sha256:${'a'.repeat(64)}` }, ...(opts.claims ? { aliases: opts.claims } : {}) },
    status: {
      ...(opts.phase ? { phase: opts.phase } : {}),
      ...(opts.holds ? { aliases: opts.holds } : {}),
      ...(opts.message ? { conditions: [{ type: 'Ready', status: 'False', reason: 'DigestMismatch', message: opts.message, lastTransitionTime: '2026-01-01T00:00:00Z' }] } : {}),
    },
  };
}

describe('resolveModel', () => {
  const cases: { name: string; model: InferenceService['spec']['model']; versions: ModelVersion[]; want: string | RegExp }[] = [
    { name: 'a named Ready version is served', model: { modelVersion: 'weather-v2' }, versions: [mv('weather-v1', { phase: 'Ready' }), mv('weather-v2', { phase: 'Ready' })], want: 'weather-v2' },
    { name: 'a named version that does not exist says so and what to fix', model: { modelVersion: 'weather-v9' }, versions: [mv('weather-v1', { phase: 'Ready' })], want: /ModelNotFound: ModelVersion weather-v9 not found in namespace ml; create it or fix spec.model.modelVersion/ },
    { name: 'a named version in another namespace is not found', model: { modelVersion: 'weather-v1' }, versions: [mv('weather-v1', { phase: 'Ready', namespace: 'other' })], want: /ModelNotFound/ },
    { name: 'a named version not verified yet waits', model: { modelVersion: 'weather-v1' }, versions: [mv('weather-v1')], want: /ModelNotReady: .*not verified yet \(phase Pending\)/ },
    {
      name: 'a named Invalid version says why, from its Ready condition',
      model: { modelVersion: 'weather-v1' },
      versions: [mv('weather-v1', { phase: 'Invalid', message: 'the digest differs' })],
      want: /ModelInvalid: ModelVersion weather-v1 \(spec.model.modelVersion\) is Invalid: the digest differs; register a good version/,
    },
    {
      name: 'an alias resolves to the version holding it in status, not to one claiming it in spec',
      model: { name: 'weather', alias: 'production' },
      versions: [mv('weather-v1', { phase: 'Ready', holds: ['production'] }), mv('weather-v2', { phase: 'Ready', claims: ['production'] })],
      want: 'weather-v1',
    },
    { name: 'an alias of another model does not count', model: { name: 'weather', alias: 'production' }, versions: [mv('iris-v1', { phase: 'Ready', holds: ['production'] }), mv('weather-v1', { phase: 'Ready' })], want: /ModelNotFound: no version of model weather holds alias production; add production to spec.aliases/ },
    { name: 'a model with no versions at all says so', model: { name: 'weather', alias: 'production' }, versions: [], want: /ModelNotFound: no ModelVersion of model weather in namespace ml/ },
    { name: 'an alias only claimed by a Pending version waits for it', model: { name: 'weather', alias: 'production' }, versions: [mv('weather-v1', { claims: ['production'] })], want: /ModelNotReady: ModelVersion weather-v1 \(claims alias production\) is not verified yet/ },
    { name: 'an alias only claimed by an Invalid version says it is Invalid', model: { name: 'weather', alias: 'production' }, versions: [mv('weather-v1', { phase: 'Invalid', claims: ['production'] })], want: /ModelInvalid/ },
    { name: 'an alias claimed by a Ready version not yet holding it waits for the move', model: { name: 'weather', alias: 'production' }, versions: [mv('weather-v1', { phase: 'Ready', claims: ['production'] })], want: /ModelNotReady: .*does not hold it yet/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = resolveModel(isvc(c.model), c.versions);
      const got = r.resolved ? r.modelVersion.metadata.name! : `${r.reason}: ${r.message}`;
      if (typeof c.want === 'string') assert.equal(got, c.want);
      else assert.match(got, c.want);
    });
  }
  it('ignores a version being deleted', () => {
    const going = mv('weather-v1', { phase: 'Ready' });
    going.metadata.deletionTimestamp = new Date('2026-01-01T00:00:00Z');
    assert.equal(resolveModel(isvc({ modelVersion: 'weather-v1' }), [going]).resolved, false);
  });
});

describe('follows', () => {
  it('matches the named version, or every version of the followed model, in the same namespace', () => {
    assert.equal(follows(isvc({ modelVersion: 'weather-v1' }), mv('weather-v1')), true);
    assert.equal(follows(isvc({ modelVersion: 'weather-v1' }), mv('weather-v2')), false);
    assert.equal(follows(isvc({ name: 'weather', alias: 'production' }), mv('weather-v7')), true);
    assert.equal(follows(isvc({ name: 'weather', alias: 'production' }), mv('iris-v1')), false);
    assert.equal(follows(isvc({ name: 'weather', alias: 'production' }, 'other'), mv('weather-v1')), false);
  });
});

describe('referenceProfile', () => {
  const ds: Dataset = {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'Dataset',
    metadata: { name: 'seattle', namespace: 'ml' },
    spec: {} as Dataset['spec'],
    status: {
      currentVersion: { version: 'bbbbbbbbbbbb', digest: 'sha256:bb', uri: 's3://b/d/bb.parquet', profileUri: 's3://b/d/bb.profile.json', rows: 1, createdAt: '2026-01-01T00:00:00Z' },
      versions: [{ version: 'aaaaaaaaaaaa', digest: 'sha256:aa', uri: 's3://b/d/aa.parquet', profileUri: 's3://b/d/aa.profile.json', rows: 1, createdAt: '2026-01-01T00:00:00Z' }],
    },
  };
  it('is the profile URI of the Dataset version in the lineage', () => {
    const m = mv('weather-v1');
    m.spec.lineage = { dataset: { name: 'seattle', version: 'aaaaaaaaaaaa' } };
    assert.equal(referenceProfile(m, [ds]), 's3://b/d/aa.profile.json');
  });
  it('is undefined without lineage, or when the version left the history', () => {
    assert.equal(referenceProfile(mv('weather-v1'), [ds]), undefined);
    const m = mv('weather-v1');
    m.spec.lineage = { dataset: { name: 'seattle', version: 'cccccccccccc' } };
    assert.equal(referenceProfile(m, [ds]), undefined);
  });
});
