import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dataset, DatasetVersion } from '../../api/v1alpha1/types.ts';
import type { IngestSucceeded } from '../../data/contract.ts';
import type { RunView } from './run.ts';
import { computeStatus } from './status.ts';

const version = (hex: string, createdAt = '2026-12-01T10:01:00Z'): DatasetVersion => ({
  version: hex.repeat(12).slice(0, 12),
  digest: `sha256:${hex.repeat(64).slice(0, 64)}`,
  uri: `s3://b/datasets/ml/weather/${hex.repeat(64).slice(0, 64)}/data.parquet`,
  rows: 10,
  createdAt,
});
const result = (v: DatasetVersion, extra: Partial<IngestSucceeded> = {}): IngestSucceeded => ({
  ok: true,
  version: v,
  sourceRows: 10,
  invalidRows: 0,
  reused: false,
  changed: true,
  columns: [{ name: 'temp', type: 'number', nullFraction: 0 }],
  ...extra,
});
const ds = (status?: Dataset['status']): Dataset => ({
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'Dataset',
  metadata: { name: 'weather', namespace: 'ml', uid: 'u1', generation: 2 },
  spec: { source: { uri: 'https://example.com/w.csv' }, schema: { columns: [{ name: 'temp', type: 'number' }] } },
  ...(status ? { status } : {}),
});
const now = new Date('2026-12-01T10:02:00Z');
const ready = (s: Dataset['status']) => s?.conditions?.find((c) => c.type === 'Ready');
const succeeded = (v: DatasetVersion, job = 'weather-ingest-g2', finishedAt = '2026-12-01T10:01:02Z', extra: Partial<IngestSucceeded> = {}): RunView => ({
  job,
  trigger: 'spec',
  state: 'Succeeded',
  finishedAt,
  result: result(v, extra),
});

describe('computeStatus', () => {
  it('makes a successful run\'s version current, first in the history, with its profile and Ready=True', () => {
    const s = computeStatus(ds(), { run: succeeded(version('a')) }, now);
    assert.equal(s.phase, 'Ready');
    assert.deepEqual(s.currentVersion, version('a'));
    assert.deepEqual(s.versions, [version('a')]);
    assert.deepEqual(s.columns, [{ name: 'temp', type: 'number', nullFraction: 0 }]);
    assert.equal(s.invalidRows, 0);
    assert.equal(s.lastIngestTime, '2026-12-01T10:01:02Z');
    assert.equal(s.ingestJob, 'weather-ingest-g2');
    assert.equal(s.observedGeneration, 2);
    assert.equal(ready(s)?.status, 'True');
    assert.equal(ready(s)?.reason, 'Ingested');
    assert.equal(ready(s)?.message, 'version aaaaaaaaaaaa (10 rows) is current');
  });
  it('adds no history entry for unchanged data, and puts a version seen before first again', () => {
    const first = computeStatus(ds(), { run: succeeded(version('a')) }, now);
    const again = computeStatus(ds(first), { run: succeeded(version('a'), 'weather-ingest-29000000', '2026-12-01T11:00:00Z') }, now);
    assert.deepEqual(again.versions, [version('a')]);
    const b = computeStatus(ds(again), { run: succeeded(version('b'), 'weather-ingest-29000060', '2026-12-01T12:00:00Z') }, now);
    assert.deepEqual(b.versions?.map((v) => v.version), ['bbbbbbbbbbbb', 'aaaaaaaaaaaa']);
    const back = computeStatus(ds(b), { run: succeeded(version('a'), 'weather-ingest-29000120', '2026-12-01T13:00:00Z') }, now);
    assert.deepEqual(back.versions?.map((v) => v.version), ['aaaaaaaaaaaa', 'bbbbbbbbbbbb']);
  });
  it('keeps when a version was first ingested, though a re-ingest that reuses it reports the stored object\'s time', () => {
    const first = computeStatus(ds(), { run: succeeded(version('a', '2026-12-01T10:01:01Z')) }, now);
    const reused = computeStatus(ds(first), { run: succeeded(version('a', '2026-12-01T10:01:00Z'), 'weather-ingest-29000000', '2026-12-01T11:00:00Z') }, now);
    assert.deepEqual(reused.currentVersion, version('a', '2026-12-01T10:01:01Z'));
    assert.deepEqual(reused.versions, [version('a', '2026-12-01T10:01:01Z')]);
  });
  it('keeps the previous good version current when a run fails, and names the rule, column and count', () => {
    const good = computeStatus(ds(), { run: succeeded(version('a')) }, now);
    const message = 'maxInvalidFraction: 1 of 10 rows (10%) break a column rule, at most 0% allowed; temp min: 1 row below -30 (first at data row 4)';
    const s = computeStatus(ds(good), { run: { job: 'weather-ingest-g3', trigger: 'spec', state: 'Failed', finishedAt: '2026-12-01T11:00:00Z', failure: { reason: 'ValidationFailed', message } } }, now);
    assert.equal(s.phase, 'Failed');
    assert.deepEqual(s.currentVersion, version('a'));
    assert.deepEqual(s.versions, [version('a')]);
    assert.equal(ready(s)?.status, 'False');
    assert.equal(ready(s)?.reason, 'ValidationFailed');
    assert.equal(ready(s)?.message, `${message}; version aaaaaaaaaaaa (10 rows) stays current`);
    assert.equal(s.lastIngestTime, '2026-12-01T11:00:00Z');
  });
  it('ignores a finished run older than the last recorded ingest (the newest Job was deleted)', () => {
    const b = computeStatus(ds(), { run: succeeded(version('b'), 'weather-ingest-g3', '2026-12-01T12:00:00Z') }, now);
    const s = computeStatus(ds(b), { run: succeeded(version('a'), 'weather-ingest-g2', '2026-12-01T10:00:00Z') }, now);
    assert.deepEqual(s.currentVersion, version('b'));
  });
  it('keeps a recorded result when the run\'s Pod is gone later, and says so when it was never read', () => {
    const good = computeStatus(ds(), { run: succeeded(version('a')) }, now);
    const { result: _, ...podGone } = succeeded(version('a'));
    assert.deepEqual(computeStatus(ds(good), { run: podGone }, now), good);
    const never = computeStatus(ds(), { run: podGone }, now);
    assert.equal(ready(never)?.reason, 'IngestFailed');
    assert.match(ready(never)!.message!, /its Pod, which holds the result, is gone; set the modelops.dev\/refresh annotation/);
  });
  it('while a spec run is active: Ingesting, Ready=False saying what is awaited', () => {
    const good = computeStatus(ds(), { run: succeeded(version('a')) }, now);
    const s = computeStatus(ds(good), { run: { job: 'weather-ingest-g3', trigger: 'spec', state: 'Active', waiting: { blocked: true, message: 'ingest Job weather-ingest-g3: the Pod cannot be scheduled: 0/1 nodes' } } }, now);
    assert.equal(s.phase, 'Ingesting');
    assert.equal(ready(s)?.reason, 'IngestBlocked');
    assert.match(ready(s)!.message!, /cannot be scheduled.*; version aaaaaaaaaaaa \(10 rows\) stays current/);
    assert.equal(s.conditions?.find((c) => c.type === 'Ingesting')?.status, 'True');
  });
  it('while a scheduled refresh runs, a Ready Dataset stays Ready', () => {
    const good = computeStatus(ds(), { run: succeeded(version('a')) }, now);
    const s = computeStatus(ds(good), { run: { job: 'weather-ingest-29000000', trigger: 'schedule', state: 'Active', waiting: { blocked: false, message: 'ingest Job weather-ingest-29000000 is running' } } }, now);
    assert.equal(s.phase, 'Ingesting');
    assert.equal(ready(s)?.status, 'True');
    assert.equal(s.conditions?.find((c) => c.type === 'Ingesting')?.reason, 'Ingesting');
    const blocked = computeStatus(ds(good), { run: { job: 'weather-ingest-29000000', trigger: 'schedule', state: 'Active', waiting: { blocked: true, message: 'image x cannot be pulled' } } }, now);
    assert.equal(ready(blocked)?.status, 'True', 'the current version stays usable');
    assert.equal(blocked.conditions?.find((c) => c.type === 'Ingesting')?.reason, 'IngestBlocked');
  });
  it('reports a run about to start, and a spec the operator cannot act on', () => {
    const s = computeStatus(ds(), { starting: { job: 'weather-ingest-g2', spec: true } }, now);
    assert.equal(s.phase, 'Ingesting');
    assert.equal(s.ingestJob, 'weather-ingest-g2');
    assert.equal(ready(s)?.reason, 'Ingesting');
    const bad = computeStatus(ds(), { blocked: { reason: 'InvalidSpec', message: 'spec.refresh: schedule "61 * * * *" is not a cron expression' } }, now);
    assert.equal(bad.phase, 'Failed');
    assert.equal(ready(bad)?.reason, 'InvalidSpec');
  });
  it('records the schedule: next refresh, and the last scheduled time only forward', () => {
    const s = computeStatus(ds({ lastScheduleTime: '2026-12-01T03:00:00Z' }), { next: new Date('2026-12-02T03:00:00Z'), lastScheduleTime: new Date('2026-11-30T03:00:00Z') }, now);
    assert.equal(s.nextRefreshTime, '2026-12-02T03:00:00Z');
    assert.equal(s.lastScheduleTime, '2026-12-01T03:00:00Z');
    assert.equal(computeStatus(ds(s), {}, now).nextRefreshTime, undefined, 'no schedule, no next time');
  });
  it('is stable: the same observation twice gives the same status', () => {
    const obs = { run: succeeded(version('a')) };
    const once = computeStatus(ds(), obs, now);
    assert.deepEqual(computeStatus(ds(once), obs, new Date('2026-12-01T10:05:00Z')), once);
  });
});
