import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { containerTermination, explainFailure, imageDigest, jobOutcome, podProblem } from './jobs.ts';

const job = (conditions: NonNullable<V1Job['status']>['conditions'], deadline?: number): V1Job => ({
  metadata: { name: 'run-1' },
  spec: { template: {}, ...(deadline ? { activeDeadlineSeconds: deadline } : {}) },
  status: { conditions },
});

const pod = (status: V1Pod['status'], finished = '2026-12-01T10:00:00Z', memory?: string): V1Pod => ({
  metadata: { name: 'run-1-abc', creationTimestamp: new Date('2026-12-01T09:00:00Z') },
  spec: { containers: [{ name: 'trainer', image: 'localhost/modelops/trainer:0.1.0', ...(memory ? { resources: { limits: { memory } } } : {}) }] },
  status: { ...status, containerStatuses: status?.containerStatuses?.map((s) => (s.state?.terminated ? { ...s, state: { terminated: { ...s.state.terminated, finishedAt: new Date(finished) } } } : s)) },
});

const terminated = (exitCode: number, reason: string, message?: string): V1Pod['status'] => ({
  containerStatuses: [
    { name: 'trainer', image: 'x', imageID: `localhost/modelops/trainer@sha256:${'b'.repeat(64)}`, ready: false, restartCount: 0, state: { terminated: { exitCode, reason, ...(message ? { message } : {}) } } },
  ],
});

describe('jobOutcome', () => {
  it('is Active until a terminal condition, and FailureTarget is not terminal', () => {
    assert.deepEqual(jobOutcome(job([])), { state: 'Active' });
    assert.deepEqual(jobOutcome(job([{ type: 'FailureTarget', status: 'True' }])), { state: 'Active' });
  });
  it('reads Complete and Failed with the reason', () => {
    assert.equal(jobOutcome(job([{ type: 'Complete', status: 'True', lastTransitionTime: new Date('2026-12-01T10:00:00Z') }])).state, 'Succeeded');
    assert.deepEqual(jobOutcome(job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }])), {
      state: 'Failed',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
  });
});

describe('containerTermination and imageDigest', () => {
  it('read the termination message, exit code and the digest the container ran', () => {
    const p = pod(terminated(0, 'Completed', '{"status":"Succeeded"}'));
    assert.deepEqual(containerTermination(p, 'trainer'), { exitCode: 0, reason: 'Completed', message: '{"status":"Succeeded"}', finishedAt: '2026-12-01T10:00:00.000Z' });
    assert.equal(imageDigest(p, 'trainer'), `sha256:${'b'.repeat(64)}`);
    assert.equal(containerTermination(p, 'other'), undefined);
  });
});

describe('podProblem', () => {
  it('names an image that cannot be pulled', () => {
    const p = pod({ containerStatuses: [{ name: 'trainer', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }] });
    assert.match(podProblem(p, 'trainer')!, /image localhost\/modelops\/trainer:0\.1\.0 cannot be pulled \(ImagePullBackOff: Back-off pulling image\)/);
  });
  it('names a Pod that cannot be scheduled, and says nothing while it is just starting', () => {
    const p = pod({ conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.' }] });
    assert.match(podProblem(p, 'trainer')!, /cannot be scheduled: 0\/1 nodes are available: 1 Insufficient nvidia\.com\/gpu/);
    const starting = pod({ containerStatuses: [{ name: 'trainer', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] });
    assert.equal(podProblem(starting, 'trainer'), undefined);
    const running = pod({ phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] });
    assert.equal(podProblem(running, 'trainer'), undefined, 'a running Pod runs somewhere, whatever a stale condition says');
  });
});

describe('explainFailure', () => {
  const failed = job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }]);
  it('says out of memory, with the limit, before anything else', () => {
    assert.match(explainFailure(failed, [pod(terminated(137, 'OOMKilled'), undefined, '512Mi')], 'trainer'), /ran out of memory \(OOMKilled, memory limit 512Mi\)/);
  });
  it('gives the exit code and the container\'s own text, from the Pod that ended last', () => {
    const older = pod(terminated(1, 'Error', 'first try'), '2026-12-01T10:00:00Z');
    const newer = pod(terminated(3, 'Error', 'column humidity is missing'), '2026-12-01T10:05:00Z');
    assert.equal(explainFailure(failed, [older, newer], 'trainer'), 'the container exited with code 3: column humidity is missing');
  });
  it('names the deadline', () => {
    const late = job([{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }], 600);
    assert.match(explainFailure(late, [], 'trainer'), /longer than activeDeadlineSeconds \(600s\)/);
  });
  it('falls back to the Job\'s condition', () => {
    assert.equal(explainFailure(failed, [], 'trainer'), 'the Job failed (BackoffLimitExceeded)');
  });
});
