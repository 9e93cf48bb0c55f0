import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelVersion } from '../../api/v1alpha1/types.ts';
import { locateArtifact } from '../../artifacts/resolve.ts';
import { ARTIFACT_FINALIZER, decideCleanup, desiredFinalizers } from './deletion.ts';
import { computeStatus, judgeBytes, missing, needsValidation, preflight, unreachable } from './status.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const now = new Date('2026-01-01T00:00:00Z');

function mv(over: Partial<ModelVersion['spec']> = {}, meta: Partial<ModelVersion['metadata']> = {}, status?: ModelVersion['status']): ModelVersion {
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'ModelVersion',
    metadata: { name: 'm-v1', namespace: 'ml', uid: 'u1', generation: 1, ...meta },
    spec: {
      model: 'm',
      version: 1,
      artifact: { uri: 's3://models/ml/m/1/model.onnx', digest: DIGEST },
      signature: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }] },
      ...over,
    },
    ...(status ? { status } : {}),
  };
}

describe('validation decisions', () => {
  it('a version without a signature is Invalid before any byte is read', () => {
    const spec = mv().spec;
    delete spec.signature;
    const o = preflight({ ...mv(), spec }, undefined);
    assert.equal(o?.result, 'invalid');
    assert.match((o as { message: string }).message, /spec.signature is missing.*register a new version/);
  });
  it('a digest mismatch names both digests, the file and what to do', () => {
    const o = judgeBytes(mv(), { sha256: 'b'.repeat(64), size: 3 });
    assert.equal(o.result, 'invalid');
    assert.equal((o as { message: string }).message, `expected ${DIGEST} got sha256:${'b'.repeat(64)}; the file at s3://models/ml/m/1/model.onnx changed after registration — register a new version`);
  });
  it('a matching digest with a wrong declared size is Invalid too', () => {
    const o = judgeBytes(mv({ artifact: { uri: 's3://b/k', digest: DIGEST, sizeBytes: 10 } }), { sha256: 'a'.repeat(64), size: 3 });
    assert.equal((o as { reason: string }).reason, 'SizeMismatch');
  });
  it('an unreachable s3 store without a configured store says which flag to set', () => {
    assert.match((unreachable('s3://b/k', 'connect ECONNREFUSED', true) as { message: string }).message, /set --artifact-store and the AWS_\* credentials/);
  });
});

describe('computeStatus', () => {
  it('a verified artifact makes the version Ready with verifiedAt', () => {
    const s = computeStatus(mv(), { result: 'verified', uri: 's3://b/k', size: 3 }, now);
    assert.equal(s.phase, 'Ready');
    assert.equal(s.verifiedAt, '2026-01-01T00:00:00Z');
    assert.equal(s.observedGeneration, 1);
    assert.deepEqual(
      s.conditions?.map((c) => [c.type, c.status, c.reason]),
      [['Ready', 'True', 'ArtifactVerified']],
    );
  });
  it('a missing artifact is Invalid and will be looked for again', () => {
    const s = computeStatus(mv(), missing('s3://b/k'), now);
    assert.equal(s.phase, 'Invalid');
    assert.equal(s.conditions?.[0]?.reason, 'ArtifactMissing');
    assert.equal(needsValidation({ ...mv(), status: s }), true);
  });
  it('an unreachable store leaves the version Pending, not Invalid', () => {
    const s = computeStatus(mv(), unreachable('s3://b/k', 'timeout', false), now);
    assert.equal(s.phase, 'Pending');
    assert.deepEqual([s.conditions?.[0]?.status, s.conditions?.[0]?.reason], ['Unknown', 'StoreUnreachable']);
    assert.equal(needsValidation({ ...mv(), status: s }), true);
  });
  it('a verified version is not read again in a later generation (its artifact is immutable), and its conditions follow the generation', () => {
    const verified = computeStatus(mv(), { result: 'verified', uri: 's3://b/k', size: 3 }, now);
    const later = mv({ aliases: ['production'] }, { generation: 2 }, { ...verified, aliases: ['production'] });
    assert.equal(needsValidation(later), false);
    const s = computeStatus(later, undefined, new Date('2026-01-02T00:00:00Z'));
    assert.equal(s.observedGeneration, 2);
    assert.equal(s.conditions?.[0]?.observedGeneration, 2);
    assert.equal(s.conditions?.[0]?.lastTransitionTime, '2026-01-01T00:00:00Z', 'no transition');
    assert.equal(s.verifiedAt, '2026-01-01T00:00:00Z');
    assert.deepEqual(s.aliases, ['production']);
  });
  it('a digest mismatch is final: not read again', () => {
    const s = computeStatus(mv(), judgeBytes(mv(), { sha256: 'b'.repeat(64), size: 3 }), now);
    assert.equal(needsValidation({ ...mv(), status: s }), false);
  });
  it('a version that is not Ready never shows an alias', () => {
    const s = computeStatus(mv({}, {}, { aliases: ['production'] }), missing('s3://b/k'), now);
    assert.equal(s.aliases, undefined);
  });
});

describe('deletion policy', () => {
  const root = 's3://models/ml';
  const locate = (u: string) => locateArtifact(u, root);
  const del = (over: Partial<ModelVersion['spec']> = {}, meta: Partial<ModelVersion['metadata']> = {}) => mv({ deletionPolicy: 'Delete', ...over }, meta);

  it('Delete adds the finalizer; Retain removes it; other finalizers are kept', () => {
    assert.deepEqual(desiredFinalizers(del({}, { finalizers: ['x'] })), ['x', ARTIFACT_FINALIZER]);
    assert.equal(desiredFinalizers(del({}, { finalizers: [ARTIFACT_FINALIZER] })), undefined);
    assert.deepEqual(desiredFinalizers(mv({ deletionPolicy: 'Retain' }, { finalizers: ['x', ARTIFACT_FINALIZER] })), ['x']);
    assert.equal(desiredFinalizers(mv()), undefined);
  });
  const cases: Array<[string, ModelVersion, ModelVersion[], string | RegExp]> = [
    ['an artifact of the operator\'s store that nothing else references is deleted', del(), [], 'delete'],
    ['an artifact outside the store is never deleted, and the event says so', del({ artifact: { uri: 's3://team/m.onnx', digest: DIGEST } }), [], /outside the operator's artifact store \(s3:\/\/models\/ml\)/],
    [
      'an artifact another version references is kept',
      del(),
      [mv({}, { name: 'other', uid: 'u2' })],
      /kept: ModelVersion ml\/other also references it/,
    ],
    ['a version being deleted with policy Delete does not keep it', del(), [del({}, { name: 'other', uid: 'u2', deletionTimestamp: new Date() })], 'delete'],
    ['Retain lets the object go and touches nothing', mv(), [], 'release'],
  ];
  for (const [name, obj, others, want] of cases) {
    it(name, () => {
      const c = decideCleanup(obj, locate(obj.spec.artifact.uri), others, locate, root);
      if (typeof want === 'string') assert.equal(c.action, want);
      else {
        assert.equal(c.action, 'retain');
        assert.match((c as { message: string }).message, want);
      }
    });
  }
});
