import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrainingJob, TrainingJobStatus } from '../../api/v1alpha1/types.ts';
import { computeStatus } from './status.ts';

const now = new Date('2026-12-01T12:00:00Z');
const tj = (status?: TrainingJobStatus, generation = 2): TrainingJob => ({
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'TrainingJob',
  metadata: { name: 'weather', namespace: 'ml', generation },
  spec: { datasetRef: { name: 'seattle' }, model: 'm' },
  ...(status ? { status } : {}),
});

describe('computeStatus', () => {
  it('waiting for the Dataset: Pending, with Ready=False saying what is awaited', () => {
    const s = computeStatus(tj(), { phase: 'Pending', reason: 'WaitingForDataset', message: 'Dataset seattle has no current version yet' }, now);
    assert.equal(s.phase, 'Pending');
    assert.equal(s.observedGeneration, 2);
    assert.deepEqual(s.conditions, [{ type: 'Ready', status: 'False', reason: 'WaitingForDataset', message: 'Dataset seattle has no current version yet', lastTransitionTime: '2026-12-01T12:00:00Z', observedGeneration: 2 }]);
  });
  it('registered: Succeeded, Ready=True, the ModelVersion and metrics', () => {
    const s = computeStatus(tj(), { phase: 'Succeeded', reason: 'ModelRegistered', message: 'registered ModelVersion m-v1', job: 'weather-g2', metrics: { accuracy: 0.8 }, modelVersion: 'm-v1' }, now);
    assert.equal(s.phase, 'Succeeded');
    assert.equal(s.modelVersion, 'm-v1');
    assert.equal(s.jobName, 'weather-g2');
    assert.deepEqual(s.metrics, { accuracy: 0.8 });
    assert.equal(s.conditions?.[0]?.status, 'True');
  });
  it('a new run clears the last run\'s metrics and failure but keeps the last registered version', () => {
    const prev: TrainingJobStatus = { phase: 'Failed', jobName: 'weather-g1', metrics: { accuracy: 0.8 }, failureReason: 'x', modelVersion: 'm-v3', observedGeneration: 1 };
    const s = computeStatus(tj(prev), { phase: 'Running', reason: 'Training', message: 'run weather-g2 is training', job: 'weather-g2', startTime: '2026-12-01T11:59:00Z' }, now);
    assert.equal(s.phase, 'Running');
    assert.equal(s.metrics, undefined);
    assert.equal(s.failureReason, undefined);
    assert.equal(s.modelVersion, 'm-v3');
    assert.equal(s.startTime, '2026-12-01T11:59:00Z');
  });
  it('between scheduled runs: Scheduled, the last run\'s result kept in Ready, the next time shown', () => {
    const prev = computeStatus(tj(), { phase: 'Rejected', reason: 'GateNotMet', message: 'gate not met', job: 'weather-100' }, now);
    const s = computeStatus(tj(prev), undefined, now, {
      runs: [{ name: 'weather-100', phase: 'Rejected' }],
      lastScheduleTime: '2026-12-01T11:00:00Z',
      nextScheduleTime: '2026-12-01T13:00:00Z',
      active: false,
      waiting: { reason: 'WaitingForSchedule', message: 'the next run is due at 2026-12-01T13:00:00Z' },
    });
    assert.equal(s.phase, 'Scheduled');
    assert.equal(s.conditions?.find((c) => c.type === 'Ready')?.reason, 'GateNotMet');
    assert.equal(s.conditions?.find((c) => c.type === 'Scheduled')?.message, 'the next run is due at 2026-12-01T13:00:00Z');
    assert.equal(s.nextScheduleTime, '2026-12-01T13:00:00Z');
    assert.deepEqual(s.runs, [{ name: 'weather-100', phase: 'Rejected' }]);
  });
  it('a transition time moves only when Ready flips', () => {
    const first = computeStatus(tj(), { phase: 'Pending', reason: 'WaitingForDataset', message: 'a' }, now);
    const later = computeStatus(tj(first), { phase: 'Running', reason: 'Training', message: 'b', job: 'weather-g2' }, new Date('2026-12-01T12:05:00Z'));
    assert.equal(later.conditions?.[0]?.lastTransitionTime, '2026-12-01T12:00:00Z');
  });
});
