// Stories of the TrainingJob controller on the real control plane and the real S3 server: the
// operator runs as a process under the chart's RBAC, and the Jobs' Pods run the real trainer
// (runtime-images/trainer in its venv) through the stand-in kubelet (test/support/kubelet.ts).
//
// The Dataset is made Ready by the test, not by the Dataset controller: the real ingest command
// (operator/data/main.ts ingest, as the ingest Job runs it) stores a version of
// seattle-weather.csv in the S3 bucket once, and each test writes that version into its
// Dataset's status through the status subresource, as the Dataset controller would.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { dump } from 'js-yaml';
import type { DatasetVersion, TrainingJobSpec } from '../../operator/api/v1alpha1/types.ts';
import { openStore } from '../../operator/artifacts/open.ts';
import { register } from '../../operator/controllers/trainingjob/registration.ts';
import type { TrainerSuccess } from '../../operator/controllers/trainingjob/result.ts';
import { kubectl, kubectlOk, operatorClients, testNamespace } from '../support/cluster.ts';
import { REPO_ROOT } from '../support/control-plane.ts';
import { startLocalKubelet } from '../support/kubelet.ts';
import { startOperator } from '../support/operator.ts';
import type { OperatorProcess } from '../support/operator.ts';
import { installChartRbac, serviceAccountKubeconfig } from '../support/rbac.ts';
import { startS3 } from '../support/s3.ts';
import type { S3Server } from '../support/s3.ts';
import { waitFor } from '../support/wait.ts';
import { ingestSeattle, seattleColumns } from '../support/seattle.ts';

const TRAINER_DIR = join(REPO_ROOT, 'runtime-images/trainer');
const TRAINER_PYTHON = join(TRAINER_DIR, '.venv/bin/python');
const IMAGE = 'localhost/modelops/trainer:it';
const STORE_SECRET = 'artifact-store';
const RUN_TIMEOUT_MS = 180_000;

const COLUMNS = seattleColumns();

/** Tiny hyperparameters: a run takes seconds. */
const TINY = { epochs: 5, hiddenSizes: [8], batchSize: 32, learningRate: 0.01, patience: 0 };

let s3: S3Server;
let work: string;
let storeUri: string;
let version: DatasetVersion;

async function getJson(args: string[], namespace: string): Promise<any> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json'], { namespace }));
}

async function apply(ns: string, obj: object): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: dump(obj) });
}

/** A Dataset whose status holds the ingested version (schema columns may be changed). */
async function readyDataset(ns: string, name = 'seattle', columns = COLUMNS): Promise<void> {
  await apply(ns, { apiVersion: 'modelops.dev/v1alpha1', kind: 'Dataset', metadata: { name }, spec: { source: { uri: 's3://source/seattle-weather.csv', format: 'csv' }, schema: { columns } } });
  const status = { phase: 'Ready', currentVersion: version, versions: [version] };
  await kubectlOk(['patch', 'dataset', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })], { namespace: ns });
}

function trainingJob(name: string, spec: Partial<TrainingJobSpec> = {}) {
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'TrainingJob',
    metadata: { name },
    spec: { datasetRef: { name: 'seattle' }, model: 'seattle-weather', hyperparameters: TINY, ...spec },
  };
}

interface Setup {
  ns: string;
  start: () => Promise<OperatorProcess>;
}

/** A workload namespace with the store's Secret, the operator under the chart's RBAC, and the stand-in kubelet. */
async function setup(t: TestContext): Promise<Setup> {
  const opNs = await testNamespace(t, 'op');
  const ns = await testNamespace(t, 'train');
  const { serviceAccount } = await installChartRbac(opNs, { watchNamespaces: [ns] });
  const kubeconfig = await serviceAccountKubeconfig(opNs, serviceAccount);
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: STORE_SECRET }, stringData: s3.env };
  await apply(ns, secret);

  const kubelet = startLocalKubelet({
    namespace: ns,
    images: { [IMAGE]: () => ({ command: TRAINER_PYTHON, args: ['-m', 'modelops_trainer'], cwd: TRAINER_DIR }) },
    env: { PATH: process.env.PATH ?? '', HOME: work, OMP_NUM_THREADS: '1', MODELOPS_DEVICE: 'cpu', PYTHONUNBUFFERED: '1' },
  });
  const running: OperatorProcess[] = [];
  t.after(async () => {
    for (const op of running) if (op.child.exitCode === null) await op.kill();
    await kubelet.stop();
  });
  const start = async () => {
    const op = await startOperator({
      kubeconfig,
      args: [`--namespaces=${ns}`, '--workers=4', `--artifact-store=${storeUri}`, `--artifact-store-secret=${STORE_SECRET}`, `--trainer-image=${IMAGE}`],
      // The operator's own credentials for the store (it reads signature.json).
      env: { ...s3.env, POD_NAMESPACE: opNs },
    });
    running.push(op);
    return op;
  };
  return { ns, start };
}

function finished(ns: string, name: string): Promise<any> {
  return waitFor(
    `TrainingJob ${name} to finish`,
    async () => {
      const tj = await getJson(['get', 'trainingjob', name], ns);
      return ['Succeeded', 'Rejected', 'Failed'].includes(tj.status?.phase) ? tj : undefined;
    },
    RUN_TIMEOUT_MS,
    500,
  );
}

async function modelVersions(ns: string): Promise<any[]> {
  return (await getJson(['get', 'modelversions'], ns)).items;
}

async function eventsOf(ns: string, name: string): Promise<any[]> {
  return (await getJson(['get', 'events.events.k8s.io', '--field-selector', `regarding.name=${name}`], ns)).items;
}

describe('TrainingJob controller', () => {
  before(async () => {
    s3 = await startS3('training');
    work = await mkdtemp(join(tmpdir(), 'trainingjob-it-'));
    storeUri = `s3://${s3.bucket}/artifacts`;
    version = await ingestSeattle({ namespace: 'shared', store: storeUri, work, env: s3.env });
  });
  after(async () => {
    await s3?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('trains on the Dataset version and registers <model>-v1 with lineage, metrics and signature', async (t) => {
    const { ns, start } = await setup(t);
    await start();
    // The TrainingJob comes first: it waits for the Dataset, saying so.
    await apply(ns, trainingJob('weather', { gate: [{ metric: 'accuracy', beatBaselineBy: 0 }] }));
    const waiting = await waitFor('Pending on the Dataset', async () => {
      const tj = await getJson(['get', 'trainingjob', 'weather'], ns);
      return tj.status?.phase === 'Pending' && tj.status;
    });
    assert.match(waiting.conditions[0].message, /Dataset seattle does not exist/);
    assert.equal(waiting.conditions[0].reason, 'WaitingForDataset');
    await readyDataset(ns);

    // (Before the stand-in kubelet takes the Pod, the scheduler finds no node: TrainingBlocked.)
    const running = await waitFor('Running, training', async () => {
      const tj = await getJson(['get', 'trainingjob', 'weather'], ns);
      return tj.status?.phase === 'Running' && tj.status.conditions?.[0]?.reason === 'Training' && tj.status;
    });
    assert.equal(running.jobName, 'weather-g1');
    assert.ok(running.startTime);

    const tj = await finished(ns, 'weather');
    assert.equal(tj.status.phase, 'Succeeded', JSON.stringify(tj.status));
    assert.equal(tj.status.modelVersion, 'seattle-weather-v1');
    assert.equal(tj.status.jobName, 'weather-g1');
    assert.equal(tj.status.datasetVersion, version.version);
    assert.ok(tj.status.metrics.accuracy > 0 && tj.status.metrics.accuracy <= 1);
    assert.ok(tj.status.baselineMetrics.accuracy > 0);
    assert.match(tj.status.primaryMetric, /^accuracy=/);
    assert.match(tj.status.imageDigest, /^sha256:[0-9a-f]{64}$/);
    assert.ok(tj.status.startTime && tj.status.completionTime);
    assert.deepEqual(tj.status.gate.map((g: any) => g.passed), [true]);
    const ready = tj.status.conditions.find((c: any) => c.type === 'Ready');
    assert.equal(ready.status, 'True');

    const job = await getJson(['get', 'job', 'weather-g1'], ns);
    assert.equal(job.metadata.ownerReferences[0].kind, 'TrainingJob');
    assert.deepEqual(job.spec.template.spec.containers[0].envFrom, [{ secretRef: { name: STORE_SECRET } }]);
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    assert.equal(env.MODELOPS_DATASET_URI, version.uri);
    assert.equal(env.MODELOPS_OUTPUT_URI, `${storeUri}/training/${ns}/weather/weather-g1`);

    const [mv, ...more] = await modelVersions(ns);
    assert.equal(more.length, 0);
    assert.equal(mv.metadata.name, 'seattle-weather-v1');
    assert.equal(mv.metadata.labels['modelops.dev/model'], 'seattle-weather');
    assert.equal(mv.metadata.ownerReferences, undefined, 'a ModelVersion outlives its TrainingJob');
    assert.equal(mv.spec.version, 1);
    assert.equal(mv.spec.artifact.uri, `${storeUri}/training/${ns}/weather/weather-g1/model.onnx`);
    assert.match(mv.spec.artifact.digest, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(mv.spec.metrics, tj.status.metrics);
    assert.deepEqual(mv.spec.lineage.dataset, { name: 'seattle', version: version.version, digest: version.digest });
    assert.equal(mv.spec.lineage.trainingJob, 'weather');
    assert.equal(mv.spec.lineage.job, 'weather-g1');
    assert.equal(mv.spec.lineage.image, IMAGE);
    assert.equal(mv.spec.lineage.imageDigest, tj.status.imageDigest);
    assert.deepEqual(mv.spec.lineage.hyperparameters, TINY);
    assert.deepEqual(
      mv.spec.signature.inputs.map((i: any) => i.name),
      ['precipitation', 'temp_max', 'temp_min', 'wind'],
    );
    assert.deepEqual([...mv.spec.signature.classLabels].sort(), ['drizzle', 'fog', 'rain', 'snow', 'sun']);

    // The ModelVersion controller, in the same operator, finds the run's model in the store.
    const verified = await waitFor('the ModelVersion verified', async () => {
      const m = await getJson(['get', 'modelversion', 'seattle-weather-v1'], ns);
      return m.status?.phase && m.status.phase !== 'Pending' && m.status;
    });
    assert.equal(verified.phase, 'Ready', JSON.stringify(verified.conditions));

    const events = await eventsOf(ns, 'weather');
    assert.ok(events.some((e) => e.reason === 'RunStarted'));
    const registered = events.find((e) => e.reason === 'ModelRegistered');
    assert.match(registered?.note ?? '', /registered ModelVersion seattle-weather-v1 \(accuracy=/);
  });

  it('a run that misses its gate is Rejected and registers nothing', async (t) => {
    const { ns, start } = await setup(t);
    await readyDataset(ns);
    await start();
    await apply(ns, trainingJob('weather', { gate: [{ metric: 'accuracy', min: 0.999 }] }));
    const tj = await finished(ns, 'weather');
    assert.equal(tj.status.phase, 'Rejected', JSON.stringify(tj.status));
    const ready = tj.status.conditions.find((c: any) => c.type === 'Ready');
    assert.equal(ready.reason, 'GateNotMet');
    assert.match(ready.message, /^gate not met: accuracy [0-9.]+ fails >= 0.999; nothing registered$/);
    assert.equal(tj.status.gate[0].passed, false);
    assert.equal(tj.status.modelVersion, undefined);
    assert.deepEqual(await modelVersions(ns), []);
  });

  it('a trainer failure fails the run with the trainer\'s own words, without retries', async (t) => {
    const { ns, start } = await setup(t);
    // The schema names a column the stored data does not have.
    await readyDataset(ns, 'seattle', [...COLUMNS, { name: 'humidity', type: 'number' }]);
    await start();
    await apply(ns, trainingJob('weather', { backoffLimit: 3 }));
    const tj = await finished(ns, 'weather');
    assert.equal(tj.status.phase, 'Failed', JSON.stringify(tj.status));
    assert.match(tj.status.failureReason, /^MissingColumn: column 'humidity' \(feature\) is in the schema but not in the dataset/);
    const ready = tj.status.conditions.find((c: any) => c.type === 'Ready');
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'TrainingFailed');
    const pods = (await getJson(['get', 'pods', '-l', 'modelops.dev/trainingjob=weather'], ns)).items;
    assert.equal(pods.length, 1, 'exit code 3 is not retried (podFailurePolicy)');
    assert.ok((await eventsOf(ns, 'weather')).some((e) => e.type === 'Warning' && e.reason === 'TrainingFailed'));
    assert.deepEqual(await modelVersions(ns), []);
  });

  it('two runs of one model finishing together register v1 and v2, no duplicates', async (t) => {
    const { ns, start } = await setup(t);
    await readyDataset(ns);
    await start();
    await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: [dump(trainingJob('first')), dump(trainingJob('second', { seed: 7 }))].join('---\n') });
    const [a, b] = await Promise.all([finished(ns, 'first'), finished(ns, 'second')]);
    assert.equal(a.status.phase, 'Succeeded', JSON.stringify(a.status));
    assert.equal(b.status.phase, 'Succeeded', JSON.stringify(b.status));
    assert.deepEqual([a.status.modelVersion, b.status.modelVersion].sort(), ['seattle-weather-v1', 'seattle-weather-v2']);
    const mvs = await modelVersions(ns);
    assert.deepEqual(mvs.map((m) => m.metadata.name).sort(), ['seattle-weather-v1', 'seattle-weather-v2']);
    for (const mv of mvs) assert.equal(mv.metadata.name, (mv.spec.lineage.trainingJob === 'first' ? a : b).status.modelVersion);
  });

  it('an operator killed while the run finishes, and again after registering, registers exactly once', async (t) => {
    const { ns, start } = await setup(t);
    await readyDataset(ns);
    let op = await start();
    await apply(ns, trainingJob('weather'));
    await waitFor('the Job', async () => (await kubectl(['get', 'job', 'weather-g1'], { namespace: ns })).code === 0);
    // Down while the Job completes: the result waits in the Pod's termination message.
    await op.kill();
    await waitFor(
      'the Job to complete',
      async () => (await getJson(['get', 'job', 'weather-g1'], ns)).status?.conditions?.some((c: any) => c.type === 'Complete' && c.status === 'True'),
      RUN_TIMEOUT_MS,
      500,
    );
    op = await start();
    const tj = await finished(ns, 'weather');
    assert.equal(tj.status.modelVersion, 'seattle-weather-v1', JSON.stringify(tj.status));
    const [mv] = await modelVersions(ns);

    // Dead between creating the ModelVersion and writing status: status still says Running.
    await op.kill();
    const lost = { status: { phase: 'Running', modelVersion: null, conditions: [{ type: 'Ready', status: 'False', reason: 'Training', message: 'run weather-g1 is training', lastTransitionTime: '2026-12-01T00:00:00Z' }] } };
    await kubectlOk(['patch', 'trainingjob', 'weather', '--subresource=status', '--type=merge', '-p', JSON.stringify(lost)], { namespace: ns });
    await start();
    const again = await finished(ns, 'weather');
    assert.equal(again.status.phase, 'Succeeded');
    assert.equal(again.status.modelVersion, 'seattle-weather-v1');
    const after = await modelVersions(ns);
    assert.equal(after.length, 1, `exactly one ModelVersion, got ${after.map((m) => m.metadata.name).join(', ')}`);
    assert.equal(after[0].metadata.uid, mv.metadata.uid);
  });

  it('on a schedule: a run per minute named by its time, Scheduled between runs, history bounded', async (t) => {
    const { ns, start } = await setup(t);
    await readyDataset(ns);
    await start();
    await apply(ns, trainingJob('weather', { schedule: '* * * * *', concurrencyPolicy: 'Forbid', successfulRunsHistoryLimit: 1 }));
    const minute = (iso: string) => Date.parse(iso) / 60_000;

    const first = await waitFor(
      'the first scheduled run to be registered',
      async () => {
        const tj = await getJson(['get', 'trainingjob', 'weather'], ns);
        return tj.status?.phase === 'Scheduled' && tj.status.runs?.[0]?.phase === 'Succeeded' && tj.status;
      },
      RUN_TIMEOUT_MS,
      500,
    );
    assert.equal(first.runs.length, 1);
    assert.equal(first.runs[0].name, `weather-${minute(first.lastScheduleTime)}`);
    assert.equal(first.runs[0].modelVersion, 'seattle-weather-v1');
    assert.equal(first.modelVersion, 'seattle-weather-v1');
    assert.equal(minute(first.nextScheduleTime), minute(first.lastScheduleTime) + 1);
    assert.equal(first.conditions.find((c: any) => c.type === 'Scheduled').reason, 'WaitingForSchedule');

    const second = await waitFor(
      'the next run, and the first one\'s Job removed by the history limit',
      async () => {
        const tj = await getJson(['get', 'trainingjob', 'weather'], ns);
        const runs = tj.status?.runs ?? [];
        return runs.length === 1 && runs[0].name !== first.runs[0].name && runs[0].phase === 'Succeeded' && tj.status;
      },
      RUN_TIMEOUT_MS,
      500,
    );
    assert.equal(second.modelVersion, 'seattle-weather-v2');
    await waitFor('the first Job gone', async () => (await kubectl(['get', 'job', first.runs[0].name], { namespace: ns })).code !== 0);
    assert.deepEqual((await modelVersions(ns)).map((m) => m.metadata.name).sort(), ['seattle-weather-v1', 'seattle-weather-v2'], 'the models stay');
    assert.ok((await eventsOf(ns, 'weather')).some((e) => e.reason === 'RunDeleted'));
  });

  it('five registrations racing for one number get v1 to v5 from the API server, and a repeat finds its own', async (t) => {
    const ns = await testNamespace(t, 'race');
    const { objects, custom } = await operatorClients();
    const deps = { objects, custom, store: openStore(storeUri, s3.env) };
    const signature = { inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 1] }], outputs: [{ name: 'prediction', dtype: 'float32', shape: [-1] }], featureNames: ['x'] };
    const key = `training/${ns}/race/signature.json`;
    await deps.store.put(key, Buffer.from(JSON.stringify(signature)));
    const result: TrainerSuccess = {
      status: 'Succeeded',
      task: 'regression',
      model: { uri: deps.store.uri(`training/${ns}/race/model.onnx`), sha256: 'e'.repeat(64) },
      signatureUri: deps.store.uri(key),
      metrics: { rmse: 1 },
      baselineMetrics: { rmse: 2 },
    };
    const tj = (name: string) => ({ apiVersion: 'modelops.dev/v1alpha1' as const, kind: 'TrainingJob' as const, metadata: { name, namespace: ns }, spec: { datasetRef: { name: 'd' }, model: 'racer' } });
    const job = (name: string) => ({ metadata: { name, namespace: ns, uid: `uid-${name}`, annotations: { 'modelops.dev/dataset-version': 'abc' } }, spec: { template: { spec: { containers: [{ name: 'trainer', image: IMAGE }] } } } });
    // Five at once: every one reads the same list, so all but one meet 409 at least once.
    const names = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => register(deps, tj(n), job(n), result, undefined)));
    assert.deepEqual([...names].sort(), ['racer-v1', 'racer-v2', 'racer-v3', 'racer-v4', 'racer-v5']);
    assert.equal(await register(deps, tj('c'), job('c'), result, undefined), names[2], 'the same Job registers once');
    assert.equal((await modelVersions(ns)).length, 5);
  });

  it('a pinned version the Dataset does not have fails, naming the versions it has; pinning one it has trains on it', async (t) => {
    const { ns, start } = await setup(t);
    await readyDataset(ns);
    await start();
    await apply(ns, trainingJob('weather', { datasetRef: { name: 'seattle', version: '000000000000' } }));
    const failed = await finished(ns, 'weather');
    assert.equal(failed.status.phase, 'Failed');
    const ready = failed.status.conditions.find((c: any) => c.type === 'Ready');
    assert.equal(ready.reason, 'DatasetVersionNotFound');
    assert.equal(ready.message, `Dataset seattle has no version 000000000000 (its versions: ${version.version}); pin one of them or remove datasetRef.version to use the current one`);
    assert.equal((await kubectl(['get', 'job', 'weather-g1'], { namespace: ns })).code, 1, 'no Job');

    await apply(ns, trainingJob('weather', { datasetRef: { name: 'seattle', version: version.digest } }));
    const job = await waitFor('the run of generation 2', async () => {
      const r = await kubectl(['get', 'job', 'weather-g2', '-o', 'json'], { namespace: ns });
      return r.code === 0 && JSON.parse(r.stdout);
    });
    assert.equal(job.metadata.annotations['modelops.dev/dataset-version'], version.version);
  });

  it('a Pod whose image cannot be pulled is named in the Ready condition while the run waits', async (t) => {
    const { ns, start } = await setup(t);
    await readyDataset(ns);
    await start();
    await apply(ns, trainingJob('weather', { image: 'localhost/modelops/missing:1' }));
    // Before the stand-in kubelet reports the pull, the scheduler's "no nodes" is the first block.
    const status = await waitFor('TrainingBlocked on the image pull', async () => {
      const tj = await getJson(['get', 'trainingjob', 'weather'], ns);
      return tj.status?.conditions?.find((c: any) => c.reason === 'TrainingBlocked' && /cannot be pulled/.test(c.message)) && tj.status;
    });
    assert.equal(status.phase, 'Running');
    assert.match(status.conditions[0].message, /^run weather-g1: image localhost\/modelops\/missing:1 cannot be pulled \(ErrImagePull: /);
    assert.ok((await eventsOf(ns, 'weather')).some((e) => e.type === 'Warning' && e.reason === 'TrainingBlocked'));
  });

  it('without an artifact store a run fails at once, saying which flag to set', async (t) => {
    const opNs = await testNamespace(t, 'op');
    const ns = await testNamespace(t, 'train');
    const { serviceAccount } = await installChartRbac(opNs, { watchNamespaces: [ns] });
    const op = await startOperator({ kubeconfig: await serviceAccountKubeconfig(opNs, serviceAccount), args: [`--namespaces=${ns}`], env: { POD_NAMESPACE: opNs } });
    t.after(() => op.kill());
    await readyDataset(ns);
    await apply(ns, trainingJob('weather'));
    const tj = await finished(ns, 'weather');
    assert.equal(tj.status.phase, 'Failed');
    assert.match(tj.status.conditions[0].message, /set --artifact-store/);
    assert.equal((await kubectl(['get', 'job', 'weather-g1'], { namespace: ns })).code, 1, 'no Job');
  });
});
