import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InferenceService, ModelVersion } from '../../api/v1alpha1/types.ts';
import { Reasons } from '../../runtime/events.ts';
import type { RevisionState } from './revision.ts';
import { computeStatus } from './status.ts';
import type { Observed } from './status.ts';

const isvc: InferenceService = {
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'InferenceService',
  metadata: { name: 'weather', namespace: 'ml', uid: 'u1', generation: 2 },
  spec: { model: { name: 'weather', alias: 'production' } },
};
const mv = (name: string) => ({ metadata: { name } }) as ModelVersion;
const now = new Date('2026-01-01T00:00:00Z');
const a: RevisionState = { name: 'weather-aaaa', modelVersion: 'weather-v1', replicas: 2, readyReplicas: 2, available: true };
const b: RevisionState = { name: 'weather-bbbb', modelVersion: 'weather-v2', replicas: 2, readyReplicas: 0, available: false };
const cond = (s: ReturnType<typeof computeStatus>, type: string) => s.conditions?.find((c) => c.type === type);

describe('computeStatus', () => {
  it('reports the URL and that no revision serves yet', () => {
    const s = computeStatus(isvc, {}, now);
    assert.equal(s.url, 'http://weather.ml.svc.cluster.local');
    assert.equal(s.observedGeneration, 2);
    assert.equal(s.phase, 'Pending');
    assert.equal(cond(s, 'Ready')?.status, 'False');
    assert.equal(cond(s, 'Ready')?.reason, 'NoRevision');
  });
  it('says what to do when the Service name is taken', () => {
    const s = computeStatus(isvc, { serviceConflict: 'Service weather already exists ...; delete or rename it' }, now);
    assert.equal(s.url, undefined);
    assert.equal(cond(s, 'ServiceReady')?.reason, 'ResourceExists');
    assert.match(cond(s, 'ServiceReady')?.message ?? '', /delete or rename it/);
  });
  it('is Healthy when the desired revision serves with ready Pods', () => {
    const s = computeStatus(isvc, { resolution: { resolved: true, modelVersion: mv('weather-v1') }, desired: a.name, serving: a, revisions: [a] }, now);
    assert.equal(s.phase, 'Healthy');
    assert.equal(s.desiredRevision, a.name);
    assert.equal(s.servingRevision, a.name);
    assert.equal(s.desiredModelVersion, 'weather-v1');
    assert.equal(s.servingModelVersion, 'weather-v1');
    assert.deepEqual(s.stableRevision, { name: a.name, modelVersion: 'weather-v1', replicas: 2, readyReplicas: 2 });
    assert.equal(s.canaryRevision, undefined);
    assert.deepEqual(s.revisions, [{ name: a.name, modelVersion: 'weather-v1', replicas: 2, readyReplicas: 2 }]);
    assert.equal(cond(s, 'ModelResolved')?.status, 'True');
    assert.deepEqual([cond(s, 'Ready')?.status, cond(s, 'Ready')?.reason], ['True', Reasons.RevisionReady]);
  });
  it('is Progressing while a new revision starts, listing the serving one first and the new one as the candidate', () => {
    const observed: Observed = {
      resolution: { resolved: true, modelVersion: mv('weather-v2') },
      desired: b.name,
      serving: a,
      revisions: [b, a],
      progress: { status: 'True', reason: Reasons.RevisionStarting, message: 'waiting' },
    };
    const s = computeStatus(isvc, observed, now);
    assert.equal(s.phase, 'Progressing');
    assert.equal(s.desiredRevision, b.name);
    assert.equal(s.servingRevision, a.name);
    assert.equal(s.canaryRevision?.name, b.name);
    assert.deepEqual(s.revisions?.map((r) => r.name), [a.name, b.name]);
    assert.equal(cond(s, 'Progressing')?.reason, Reasons.RevisionStarting);
    assert.equal(cond(s, 'Ready')?.status, 'True', 'the old revision still serves');
  });
  it('is Degraded when the serving revision has no ready Pods, and says why', () => {
    const sick = { ...a, readyReplicas: 0, available: false, problem: 'Pod x: the server keeps exiting' };
    const s = computeStatus(isvc, { resolution: { resolved: true, modelVersion: mv('weather-v1') }, desired: a.name, serving: sick, revisions: [sick] }, now);
    assert.equal(s.phase, 'Degraded');
    assert.equal(cond(s, 'Ready')?.reason, Reasons.RevisionNotReady);
    assert.match(cond(s, 'Ready')?.message ?? '', /has no ready Pods: Pod x: the server keeps exiting/);
  });
  it('keeps serving when the model does not exist, but is Degraded and not Ready: the spec is not what serves', () => {
    const previous = { ...isvc, status: { desiredRevision: 'weather-old', desiredModelVersion: 'weather-v0' } };
    const s = computeStatus(previous, { resolution: { resolved: false, reason: Reasons.ModelNotFound, message: 'no version holds production' }, serving: a, revisions: [a] }, now);
    assert.deepEqual([cond(s, 'ModelResolved')?.status, cond(s, 'ModelResolved')?.reason, cond(s, 'ModelResolved')?.message], ['False', 'ModelNotFound', 'no version holds production']);
    assert.equal(s.servingRevision, a.name);
    assert.equal(s.desiredRevision, undefined);
    assert.equal(s.desiredModelVersion, undefined);
    assert.equal(s.phase, 'Degraded');
    assert.deepEqual([cond(s, 'Ready')?.status, cond(s, 'Ready')?.reason], ['False', 'ModelNotFound']);
    assert.match(cond(s, 'Ready')?.message ?? '', /no version holds production; revision weather-aaaa \(weather-v1\) keeps serving/);
  });
  it('drops the Progressing condition of an earlier rollout when there is none to report', () => {
    const first = computeStatus(isvc, { resolution: { resolved: true, modelVersion: mv('weather-v2') }, desired: b.name, serving: a, revisions: [a, b], progress: { status: 'False', reason: Reasons.RevisionBlocked, message: 'stuck' } }, now);
    assert.equal(cond(first, 'Progressing')?.reason, 'RevisionBlocked');
    const later = computeStatus({ ...isvc, status: first }, { resolution: { resolved: false, reason: Reasons.ModelNotFound, message: 'gone' }, serving: a, revisions: [a] }, now);
    assert.equal(cond(later, 'Progressing'), undefined);
  });
  it('stays Healthy while the model waits for a version being verified or an alias being moved', () => {
    const s = computeStatus(isvc, { resolution: { resolved: false, reason: Reasons.ModelNotReady, message: 'weather-v2 claims production but does not hold it yet' }, serving: a, revisions: [a] }, now);
    assert.equal(s.phase, 'Healthy');
    assert.equal(cond(s, 'Ready')?.status, 'True');
    assert.equal(cond(s, 'ModelResolved')?.reason, 'ModelNotReady');
  });
  it('says why nothing serves when the model does not exist', () => {
    const s = computeStatus(isvc, { resolution: { resolved: false, reason: Reasons.ModelInvalid, message: 'weather-v1 is Invalid' } }, now);
    assert.equal(s.phase, 'Pending');
    assert.deepEqual([cond(s, 'Ready')?.reason, cond(s, 'Ready')?.message], ['NoRevision', 'no revision serves the model yet: weather-v1 is Invalid']);
  });
  it('lets a conflict on the new revision\'s name show as Progressing=False ResourceExists', () => {
    const s = computeStatus(isvc, { resolution: { resolved: true, modelVersion: mv('weather-v2') }, desired: b.name, revisionConflict: 'Deployment weather-bbbb already exists ...', serving: a, revisions: [a] }, now);
    assert.deepEqual([cond(s, 'Progressing')?.status, cond(s, 'Progressing')?.reason], ['False', 'ResourceExists']);
  });
  it('records a hold for inconclusive analysis, and drops it when the decision no longer has one', () => {
    const analysisHold = { revision: b.name, step: 1, reason: 'AnalysisInconclusive' as const, message: 'error-rate was inconclusive 4 times', since: now.toISOString() };
    const observed: Observed = { resolution: { resolved: true, modelVersion: mv('weather-v2') }, desired: b.name, serving: a, revisions: [b, a], rollout: { phase: 'Paused', analysisHold } };
    const held = computeStatus(isvc, observed, now);
    assert.deepEqual(held.analysisHold, analysisHold);
    const promoted = computeStatus({ ...isvc, status: held }, { ...observed, rollout: { phase: 'Progressing' } }, now);
    assert.equal(promoted.analysisHold, undefined);
  });
  it('does not change when nothing changed (no churn on a re-reconcile)', () => {
    const observed: Observed = { resolution: { resolved: true, modelVersion: mv('weather-v1') }, desired: a.name, serving: a, revisions: [a] };
    const first = computeStatus(isvc, observed, now);
    const again = computeStatus({ ...isvc, status: first }, observed, new Date('2026-01-02T00:00:00Z'));
    assert.deepEqual(again, first);
  });
});
