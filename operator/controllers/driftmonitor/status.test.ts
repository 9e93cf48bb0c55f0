import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DriftMonitor, FeatureDrift } from '../../api/v1alpha1/types.ts';
import { findCondition } from '../../runtime/conditions.ts';
import type { Measurement } from './measure.ts';
import { computeStatus, HISTORY_LIMIT, summary } from './status.ts';

const now = new Date('2026-12-01T12:00:07.123Z');
const next = new Date('2026-12-01T13:00:00Z');

function monitor(status?: DriftMonitor['status']): DriftMonitor {
  return { apiVersion: 'modelops.dev/v1alpha1', kind: 'DriftMonitor', metadata: { name: 'm', namespace: 'prod', generation: 2 }, spec: { targetRef: { name: 'weather' }, schedule: '@hourly' }, ...(status ? { status } : {}) };
}

const f = (name: string, verdict: FeatureDrift['verdict'], extra: Partial<FeatureDrift> = {}): FeatureDrift => ({ name, method: 'KS', threshold: 0.05, samples: 361, verdict, ...extra });

function measured(features: FeatureDrift[], verdict: Measurement['dataset']['verdict'], share: number): Measurement {
  return { features, dataset: { verdict, drifted: verdict === 'Drifted', driftedShare: share }, live: { source: 'Metrics' } };
}

describe('computeStatus', () => {
  it('before any run: Pending, with the next run', () => {
    const s = computeStatus(monitor(), { next }, now);
    assert.equal(s.phase, 'Pending');
    assert.equal(s.nextRunTime, '2026-12-01T13:00:00Z');
    assert.equal(s.observedGeneration, 2);
    assert.equal(findCondition(s.conditions, 'Scheduled')?.status, 'True');
  });

  it('after a drifted run: phase, share, features, reference, history and conditions', () => {
    const m = measured([f('temp_max', 'Drift', { statistic: 0.74, pValue: 1e-130 }), f('wind', 'NoDrift', { statistic: 0.05, pValue: 0.6 })], 'Drifted', 0.5);
    const s = computeStatus(monitor(), { next, run: { time: now, outcome: { kind: 'measured', measurement: m, reference: { name: 'seattle', version: 'abc' } } } }, now);
    assert.equal(s.phase, 'Drifted');
    assert.equal(s.drifted, true);
    assert.equal(s.driftedShare, 0.5);
    assert.equal(s.lastRunTime, '2026-12-01T12:00:07Z');
    assert.deepEqual(s.referenceDataset, { name: 'seattle', version: 'abc' });
    assert.equal(s.features?.length, 2);
    assert.deepEqual(s.history, [{ time: '2026-12-01T12:00:07Z', verdict: 'Drifted', driftedShare: 0.5 }]);
    assert.equal(findCondition(s.conditions, 'Ready')?.reason, 'Measured');
    const drifted = findCondition(s.conditions, 'Drifted');
    assert.equal(drifted?.status, 'True');
    assert.equal(drifted?.reason, 'DriftDetected');
    assert.match(drifted?.message ?? '', /1 of 2 features drifted.*temp_max \(KS p=1\.00e-130/);
  });

  it('says which source the live samples came from and how much of the prediction log was read', () => {
    const metrics = computeStatus(monitor(), { next, run: { time: now, outcome: { kind: 'measured', measurement: measured([f('wind', 'NoDrift')], 'NoDrift', 0), reference: { name: 'seattle', version: 'abc' } } } }, now);
    assert.deepEqual(metrics.liveData, { source: 'Metrics' });
    assert.equal(findCondition(metrics.conditions, 'Ready')?.message, 'last run compared 1 features with Dataset seattle version abc');
    const live = { source: 'PredictionLog' as const, uri: 's3://logs/w', records: 12, rows: 361, linesRead: 13, bytesRead: 62_550, skippedLines: 1, limited: false, message: 'read 13 lines' };
    const m = { ...measured([f('wind', 'NoDrift')], 'NoDrift', 0), live };
    const s = computeStatus({ ...monitor(), status: metrics }, { next, run: { time: now, outcome: { kind: 'measured', measurement: m, reference: { name: 'seattle', version: 'abc' } } } }, now);
    assert.deepEqual(s.liveData, live);
    assert.equal(findCondition(s.conditions, 'Ready')?.message, 'last run compared 1 features with Dataset seattle version abc, exact samples from the prediction log (12 records, 361 rows, 1 invalid lines skipped)');
  });

  it('insufficient data is its own phase, never NoDrift', () => {
    const m = measured([f('temp_max', 'InsufficientData', { samples: 12 })], 'InsufficientData', 0);
    const s = computeStatus(monitor(), { next, run: { time: now, outcome: { kind: 'measured', measurement: m, reference: { name: 'seattle', version: 'abc' } } } }, now);
    assert.equal(s.phase, 'InsufficientData');
    assert.equal(findCondition(s.conditions, 'Drifted')?.status, 'Unknown');
    assert.match(findCondition(s.conditions, 'Drifted')?.message ?? '', /too few live samples: temp_max \(12\)/);
  });

  it('a run that could not measure: Failed, Ready False with the reason and what to do, earlier results kept', () => {
    const prev = monitor({ phase: 'NoDrift', features: [f('wind', 'NoDrift')], lastRunTime: '2026-12-01T11:00:00Z' });
    const s = computeStatus(prev, { next, run: { time: now, outcome: { kind: 'failed', blocked: { reason: 'PrometheusUnavailable', message: 'Prometheus did not answer: ECONNREFUSED; check --prometheus-url' } } } }, now);
    assert.equal(s.phase, 'Failed');
    const ready = findCondition(s.conditions, 'Ready');
    assert.equal(ready?.status, 'False');
    assert.equal(ready?.reason, 'PrometheusUnavailable');
    assert.match(ready?.message ?? '', /check --prometheus-url/);
    assert.equal(s.features?.length, 1, 'the last measured features stay for reference');
    assert.equal(s.history?.[0]?.verdict, 'Failed');
  });

  it('keeps a bounded history, newest first', () => {
    const history = Array.from({ length: HISTORY_LIMIT }, (_, i) => ({ time: `2026-11-30T${String(i).padStart(2, '0')}:00:00Z`, verdict: 'NoDrift' as const }));
    const m = measured([f('wind', 'NoDrift')], 'NoDrift', 0);
    const s = computeStatus(monitor({ history }), { run: { time: now, outcome: { kind: 'measured', measurement: m, reference: { name: 's', version: 'v' } } } }, now);
    assert.equal(s.history?.length, HISTORY_LIMIT);
    assert.equal(s.history?.[0]?.time, '2026-12-01T12:00:07Z');
  });

  it('suspended: no next run', () => {
    const s = computeStatus(monitor({ nextRunTime: '2026-12-01T12:00:00Z' }), { suspended: true }, now);
    assert.equal(s.nextRunTime, undefined);
    assert.equal(findCondition(s.conditions, 'Scheduled')?.reason, 'Suspended');
  });

  it('records the retraining started and a failed webhook', () => {
    const s = computeStatus(monitor(), { retraining: { reason: 'RetrainingStarted', message: 'created', job: 'm-retrain-1', startedAt: now }, webhook: { ok: false, message: 'HTTP 500' } }, now);
    assert.equal(s.retrainingJob, 'm-retrain-1');
    assert.equal(s.lastRetrainTime, '2026-12-01T12:00:07Z');
    assert.equal(findCondition(s.conditions, 'Retraining')?.status, 'True');
    assert.equal(findCondition(s.conditions, 'Alerted')?.reason, 'WebhookFailed');
  });
});

describe('summary', () => {
  it('counts only features with a verdict in the share', () =>
    assert.equal(summary(measured([f('a', 'Drift', { statistic: 1.5 }), f('b', 'NoDrift'), f('c', 'InsufficientData', { samples: 3 })], 'Drifted', 0.5)).split(';')[0], '1 of 2 features drifted (share 0.50)'));
});
