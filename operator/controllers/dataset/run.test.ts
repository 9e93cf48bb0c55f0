import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { newestJob, observeRun } from './run.ts';

const job = (name: string, conditions: NonNullable<V1Job['status']>['conditions'] = [], extra: Partial<V1Job['status']> = {}, created = '2026-12-01T10:00:00Z'): V1Job => ({
  metadata: { name, uid: `uid-${name}`, creationTimestamp: new Date(created), annotations: { 'modelops.dev/trigger': 'schedule', 'modelops.dev/spec-hash': 'h1' } },
  spec: { template: {} },
  status: { conditions, ...extra },
});

const pod = (name: string, status: V1Pod['status']): V1Pod => ({
  metadata: { name, creationTimestamp: new Date('2026-12-01T10:00:01Z') },
  spec: { containers: [{ name: 'ingest', image: 'localhost/modelops/operator:0.1.0' }] },
  status,
});

const terminated = (exitCode: number, message?: string, reason = exitCode === 0 ? 'Completed' : 'Error'): V1Pod['status'] => ({
  phase: exitCode === 0 ? 'Succeeded' : 'Failed',
  containerStatuses: [{ name: 'ingest', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, reason, ...(message ? { message } : {}), finishedAt: new Date('2026-12-01T10:01:00Z') } } }],
});

const success = JSON.stringify({
  ok: true,
  version: { version: 'aaaaaaaaaaaa', digest: `sha256:${'a'.repeat(64)}`, uri: 's3://b/d/data.parquet', profileUri: 's3://b/d/profile.json', rows: 10, bytes: 100, createdAt: '2026-12-01T10:01:00Z' },
  sourceRows: 10,
  invalidRows: 0,
  reused: false,
  changed: true,
  columns: [{ name: 'temp', type: 'number', nullFraction: 0 }],
});
const complete = [{ type: 'Complete', status: 'True', lastTransitionTime: new Date('2026-12-01T10:01:02.500Z') }];
const failed = (reason: string) => [{ type: 'Failed', status: 'True', reason, lastTransitionTime: new Date('2026-12-01T10:01:02Z') }];

describe('observeRun', () => {
  it('reads the ingest result of a successful run from its Pod\'s termination message', () => {
    const v = observeRun(job('w-1', complete), [pod('w-1-a', terminated(0, success))]);
    assert.equal(v.state, 'Succeeded');
    assert.equal(v.trigger, 'schedule');
    assert.equal(v.specHash, 'h1');
    assert.equal(v.finishedAt, '2026-12-01T10:01:02Z');
    assert.equal(v.result?.version.version, 'aaaaaaaaaaaa');
  });
  it('waits for the result while the Pod cache still shows the Pod running', () => {
    const v = observeRun(job('w-1', complete), [pod('w-1-a', { phase: 'Running' })]);
    assert.equal(v.state, 'Active');
    assert.match(v.waiting!.message, /has finished; reading its result/);
    const gone = observeRun(job('w-1', complete), []);
    assert.equal(gone.state, 'Succeeded');
    assert.equal(gone.result, undefined);
  });
  it('takes the ingest\'s own reason and message (rule, column, count) for a failed run', () => {
    const message = JSON.stringify({ ok: false, reason: 'ValidationFailed', exitCode: 3, message: 'maxInvalidFraction: 1 of 10 rows break a column rule; temp min: 1 row below -30 (first at data row 4)' });
    const v = observeRun(job('w-1', failed('PodFailurePolicy')), [pod('w-1-a', terminated(3, message))]);
    assert.equal(v.state, 'Failed');
    assert.deepEqual(v.failure, { reason: 'ValidationFailed', message: 'maxInvalidFraction: 1 of 10 rows break a column rule; temp min: 1 row below -30 (first at data row 4)' });
  });
  it('explains a run killed for memory in words, with IngestFailed', () => {
    const v = observeRun(job('w-1', failed('BackoffLimitExceeded')), [pod('w-1-a', terminated(137, undefined, 'OOMKilled'))]);
    assert.equal(v.failure?.reason, 'IngestFailed');
    assert.match(v.failure!.message, /ran out of memory \(OOMKilled/);
  });
  it('folds an internal error into IngestFailed, keeping its text', () => {
    const message = JSON.stringify({ ok: false, reason: 'InternalError', exitCode: 1, message: 'boom' });
    const v = observeRun(job('w-1', failed('BackoffLimitExceeded')), [pod('w-1-a', terminated(1, message))]);
    assert.deepEqual(v.failure, { reason: 'IngestFailed', message: 'InternalError: boom' });
  });
  it('says what an active run waits for: a Pod that cannot pull its image is blocked', () => {
    const waiting = pod('w-1-a', { phase: 'Pending', containerStatuses: [{ name: 'ingest', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'back-off' } } }] });
    const v = observeRun(job('w-1', [], { active: 1 }), [waiting]);
    assert.equal(v.state, 'Active');
    assert.equal(v.waiting?.blocked, true);
    assert.match(v.waiting!.message, /image localhost\/modelops\/operator:0.1.0 cannot be pulled \(ImagePullBackOff/);
    const none = observeRun(job('w-1'), []);
    assert.deepEqual(none.waiting, { blocked: false, message: 'ingest Job w-1 is starting (waiting for its Pod)' });
  });
  it('mentions the failed attempts of a run that is retrying', () => {
    const message = JSON.stringify({ ok: false, reason: 'SourceUnavailable', exitCode: 4, message: 'GET https://example.com/x.csv: 503' });
    const v = observeRun(job('w-1', [], { active: 1, failed: 1 }), [pod('w-1-a', terminated(4, message)), pod('w-1-b', { phase: 'Running' })]);
    assert.match(v.waiting!.message, /is running \(Pod w-1-b\); retrying after 1 failed attempt \(last: SourceUnavailable: GET/);
  });
});

describe('newestJob', () => {
  it('is the last created, ignoring Jobs being deleted', () => {
    const a = job('w-a', [], {}, '2026-12-01T10:00:00Z');
    const b = job('w-b', [], {}, '2026-12-01T11:00:00Z');
    const c = { ...job('w-c', [], {}, '2026-12-01T12:00:00Z'), metadata: { ...job('w-c').metadata, creationTimestamp: new Date('2026-12-01T12:00:00Z'), deletionTimestamp: new Date() } };
    assert.equal(newestJob([b, a, c])?.metadata?.name, 'w-b');
    assert.equal(newestJob([]), undefined);
  });
});
