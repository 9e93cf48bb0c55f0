import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrainingJob } from '../../api/v1alpha1/types.ts';
import { parseDuration } from '../../runtime/duration.ts';
import { desiredJob, desiredRendezvousService, runName } from './desired.ts';
import type { RunInputs } from './desired.ts';

const tj: TrainingJob = {
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'TrainingJob',
  metadata: { name: 'weather', namespace: 'ml', uid: 'u', generation: 3 },
  spec: {
    datasetRef: { name: 'seattle' },
    model: 'seattle-weather',
    hyperparameters: { epochs: 10, hiddenSizes: [16] },
    resources: { limits: { 'nvidia.com/gpu': 1 } },
    queueName: 'team-a',
    ttlAfterFinished: '1h',
  },
};

const run: RunInputs = {
  name: runName(tj),
  image: 'localhost/modelops/trainer:0.1.0',
  datasetUri: 's3://data/seattle/abc/data.parquet',
  datasetFormat: 'parquet',
  datasetVersion: 'abc',
  columns: [{ name: 'weather', type: 'category', role: 'target' }],
  outputUri: 's3://models/runs/weather-g3',
  secretEnv: ['s3-credentials'],
};

const env = (job: ReturnType<typeof desiredJob>) => Object.fromEntries(job.spec!.template.spec!.containers[0]!.env!.map((e) => [e.name, e.value]));

describe('desiredJob', () => {
  it('names the run after the generation, so a new spec is a new run and a retry is not', () => {
    assert.equal(run.name, 'weather-g3');
    assert.equal(runName(tj, new Date(Date.UTC(2026, 0, 1, 3, 0))), `weather-${Date.UTC(2026, 0, 1, 3, 0) / 60_000}`);
  });
  it('passes the contract\'s environment', () => {
    const e = env(desiredJob(tj, run));
    assert.equal(e.MODELOPS_DATASET_URI, run.datasetUri);
    assert.equal(e.MODELOPS_OUTPUT_URI, run.outputUri);
    assert.deepEqual(JSON.parse(e.MODELOPS_HYPERPARAMETERS!), { epochs: 10, hiddenSizes: [16] });
    assert.deepEqual(JSON.parse(e.MODELOPS_SCHEMA!), { columns: run.columns });
    assert.equal(e.MODELOPS_WORLD_SIZE, '1');
    assert.equal(e.MODELOPS_MASTER_ADDR, undefined);
  });
  it('fails the Job at once on the exit codes of configuration and data errors', () => {
    const job = desiredJob(tj, run);
    assert.deepEqual(job.spec!.podFailurePolicy!.rules[0]!.onExitCodes!.values, [2, 3]);
    assert.equal(job.spec!.template.spec!.restartPolicy, 'Never');
    assert.equal(job.spec!.ttlSecondsAfterFinished, 3600);
  });
  it('asks for the GPU, the Kueue queue and a restricted security context', () => {
    const job = desiredJob(tj, run);
    const pod = job.spec!.template.spec!;
    assert.deepEqual(pod.containers[0]!.resources, { limits: { 'nvidia.com/gpu': '1' } });
    assert.equal(job.metadata!.labels!['kueue.x-k8s.io/queue-name'], 'team-a');
    assert.equal(pod.securityContext!.runAsNonRoot, true);
    assert.deepEqual(pod.containers[0]!.securityContext!.capabilities, { drop: ['ALL'] });
    assert.equal(pod.containers[0]!.terminationMessagePolicy, 'FallbackToLogsOnError');
    assert.deepEqual(pod.containers[0]!.envFrom, [{ secretRef: { name: 's3-credentials' } }]);
  });
  it('runs workers > 1 as an Indexed Job that finds rank 0 through a headless Service', () => {
    const dist = { ...tj, spec: { ...tj.spec, workers: 3 } };
    const job = desiredJob(dist, run);
    assert.equal(job.spec!.completionMode, 'Indexed');
    assert.equal(job.spec!.completions, 3);
    assert.equal(job.spec!.template.spec!.subdomain, 'weather-g3');
    assert.equal(env(job).MODELOPS_MASTER_ADDR, 'weather-g3-0.weather-g3');
    const svc = desiredRendezvousService(dist, run);
    assert.equal(svc.spec!.clusterIP, 'None');
    assert.equal(svc.spec!.publishNotReadyAddresses, true);
  });
  it('is deterministic', () => {
    assert.deepEqual(desiredJob(tj, run), desiredJob(structuredClone(tj), { ...run }));
  });
});

describe('parseDuration', () => {
  for (const [text, ms] of [['30s', 30_000], ['5m', 300_000], ['1h30m', 5_400_000], ['250ms', 250], ['1.5h', 5_400_000]] as const) {
    it(`reads ${text}`, () => assert.equal(parseDuration(text), ms));
  }
  it('refuses what is not a duration', () => assert.throws(() => parseDuration('one day'), /not a duration/));
});
