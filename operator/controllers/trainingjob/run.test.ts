import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { TrainingJob } from '../../api/v1alpha1/types.ts';
import { failedReport, podsOfJob, rankZeroPod, runningReport, trainedRun } from './run.ts';

const tj = (gate?: TrainingJob['spec']['gate']): TrainingJob => ({
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'TrainingJob',
  metadata: { name: 'weather', namespace: 'ml', uid: 'tj-uid', generation: 1 },
  spec: { datasetRef: { name: 'seattle' }, model: 'seattle-weather', ...(gate ? { gate } : {}) },
});

const job = (conditions: NonNullable<V1Job['status']>['conditions'] = []): V1Job => ({
  metadata: { name: 'weather-g1', namespace: 'ml', uid: 'job-uid', annotations: { 'modelops.dev/dataset-version': 'abcdefabcdef' } },
  spec: { template: {} },
  status: { startTime: new Date('2026-12-01T10:00:00Z'), conditions },
});
const complete = [{ type: 'Complete', status: 'True', lastTransitionTime: new Date('2026-12-01T10:05:00Z') }];
const failedCond = [{ type: 'Failed', status: 'True', reason: 'PodFailurePolicy', message: 'Container trainer for pod ml/weather-g1-x failed with exit code 3', lastTransitionTime: new Date('2026-12-01T10:05:00Z') }];

const success = {
  status: 'Succeeded',
  task: 'classification',
  model: { uri: 's3://b/training/ml/weather/weather-g1/model.onnx', sha256: 'a'.repeat(64), format: 'onnx' },
  signatureUri: 's3://b/training/ml/weather/weather-g1/signature.json',
  metrics: { accuracy: 0.81, f1_macro: 0.5, roc_auc: null },
  baselineMetrics: { accuracy: 0.44 },
};

function pod(name: string, exitCode: number | undefined, message?: string, opts: { phase?: string; index?: string; owner?: string; waiting?: string } = {}): V1Pod {
  return {
    metadata: {
      name,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'weather-g1', uid: opts.owner ?? 'job-uid', controller: true }],
      ...(opts.index ? { annotations: { 'batch.kubernetes.io/job-completion-index': opts.index } } : {}),
    },
    spec: { containers: [{ name: 'trainer', image: 'localhost/modelops/trainer:0.1.0' }] },
    status: {
      phase: opts.phase ?? (exitCode === undefined ? 'Pending' : exitCode === 0 ? 'Succeeded' : 'Failed'),
      containerStatuses: [
        {
          name: 'trainer',
          image: 'localhost/modelops/trainer:0.1.0',
          imageID: `localhost/modelops/trainer@sha256:${'d'.repeat(64)}`,
          ready: false,
          restartCount: 0,
          state:
            exitCode === undefined
              ? { waiting: { reason: opts.waiting ?? 'ContainerCreating' } }
              : { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: new Date('2026-12-01T10:04:00Z'), ...(message ? { message } : {}) } },
        },
      ],
    },
  };
}

describe('a running run', () => {
  it('is Running, with the time it started and the dataset version it was given', () => {
    const r = runningReport(job(), []);
    assert.equal(r.phase, 'Running');
    assert.equal(r.reason, 'Training');
    assert.equal(r.startTime, '2026-12-01T10:00:00Z');
    assert.equal(r.datasetVersion, 'abcdefabcdef');
  });
  it('says what keeps a Pod from starting', () => {
    const r = runningReport(job(), [pod('p', undefined, undefined, { waiting: 'ImagePullBackOff' })]);
    assert.equal(r.reason, 'TrainingBlocked');
    assert.match(r.message, /run weather-g1: image localhost\/modelops\/trainer:0.1.0 cannot be pulled \(ImagePullBackOff\)/);
  });
});

describe('a completed run', () => {
  it('passes with no gate, with the metrics (nulls left out), headline metric and image digest', () => {
    const r = trainedRun(tj(), job(complete), [pod('p', 0, JSON.stringify(success))]);
    assert.equal(r.kind, 'passed');
    assert.deepEqual(r.report.metrics, { accuracy: 0.81, f1_macro: 0.5 });
    assert.equal(r.report.primaryMetric, 'accuracy=0.81');
    assert.equal(r.report.imageDigest, `sha256:${'d'.repeat(64)}`);
    assert.equal(r.report.completionTime, '2026-12-01T10:05:00Z');
  });
  it('is Rejected when the gate is not met, and says which rule failed', () => {
    const r = trainedRun(tj([{ metric: 'accuracy', min: 0.9 }]), job(complete), [pod('p', 0, JSON.stringify(success))]);
    assert.equal(r.kind, 'report');
    assert.equal(r.report.phase, 'Rejected');
    assert.equal(r.report.reason, 'GateNotMet');
    assert.equal(r.report.message, 'gate not met: accuracy 0.81 fails >= 0.9; nothing registered');
    assert.equal(r.report.gate?.[0]?.passed, false);
  });
  it('fails when the termination message breaks the contract', () => {
    const r = trainedRun(tj(), job(complete), [pod('p', 0, '{"status":"Succeeded","task":"classification"}')]);
    assert.equal(r.report.phase, 'Failed');
    assert.match(r.report.failureReason!, /^the trainer broke its contract: a successful run must report model.uri/);
  });
  it('fails when no Pod is left to read the result from', () => {
    assert.match(trainedRun(tj(), job(complete), []).report.failureReason!, /no Pod of rank 0/);
  });
  it('reads rank 0 of a distributed run, not another rank', () => {
    const other = pod('p1', 0, '{"status":"Succeeded","rank":1}', { index: '1' });
    const zero = pod('p0', 0, JSON.stringify(success), { index: '0' });
    assert.equal(rankZeroPod([other, zero], true)?.metadata?.name, 'p0');
    assert.equal(trainedRun(tj(), job(complete), [other, zero]).kind, 'passed');
  });
});

describe('a failed run', () => {
  it('gives the trainer\'s own reason and text', () => {
    const msg = JSON.stringify({ status: 'Failed', reason: 'MissingColumn', column: 'humidity', message: "column 'humidity' (feature) is in the schema but not in the dataset" });
    const r = failedReport(job(failedCond), [pod('p', 3, msg)]);
    assert.equal(r.phase, 'Failed');
    assert.equal(r.reason, 'TrainingFailed');
    assert.equal(r.failureReason, "MissingColumn: column 'humidity' (feature) is in the schema but not in the dataset");
  });
  it('explains a crash without a contract message by its exit code and log tail', () => {
    const r = failedReport(job(failedCond), [pod('p', 1, 'Traceback: boom')]);
    assert.equal(r.failureReason, 'the container exited with code 1: Traceback: boom');
  });
  it('says the deadline stopped it', () => {
    const r = failedReport({ ...job([{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }]), spec: { template: {}, activeDeadlineSeconds: 60 } }, []);
    assert.match(r.failureReason!, /longer than activeDeadlineSeconds \(60s\)/);
  });
});

it('a Job\'s Pods are those it owns, not those of an earlier Job of the same name', () => {
  assert.deepEqual(podsOfJob([pod('a', 0), pod('b', 0, undefined, { owner: 'old' })], job()).map((p) => p.metadata!.name), ['a']);
});
