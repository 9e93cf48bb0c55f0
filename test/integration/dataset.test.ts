// The Dataset controller on the real control plane, running as a process with the chart's
// RBAC, ingesting into a real S3 server. There is no node: the stand-in kubelet runs each
// ingest Pod as the real command (node operator/data/main.ts ingest) with the Pod's env.
// Stories: a good ingest; the same bytes again; bad data and a missing column keep the
// previous version; retention; an operator killed mid-ingest.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { dump } from 'js-yaml';
import type { DatasetSpec } from '../../operator/api/v1alpha1/types.ts';
import { openStore } from '../../operator/artifacts/open.ts';
import { datasetDataKey, datasetProfileKey } from '../../operator/artifacts/layout.ts';
import type { ArtifactStore } from '../../operator/artifacts/store.ts';
import { kubectlOk, testNamespace } from '../support/cluster.ts';
import { REPO_ROOT } from '../support/control-plane.ts';
import { startLocalKubelet } from '../support/kubelet.ts';
import type { LocalKubelet } from '../support/kubelet.ts';
import { startOperator } from '../support/operator.ts';
import type { OperatorProcess } from '../support/operator.ts';
import { installChartRbac, serviceAccountKubeconfig } from '../support/rbac.ts';
import { startS3 } from '../support/s3.ts';
import type { S3Server } from '../support/s3.ts';
import { waitFor } from '../support/wait.ts';
import { SEATTLE_CSV, seattleColumns } from '../support/seattle.ts';

const IMAGE = 'localhost/modelops/operator:test';
const INGEST_WAIT_MS = 90_000;

// The schema of examples/seattle-weather/01-dataset.yaml; any invalid row fails the ingest.
function seattleSpec(uri: string, extra: Partial<DatasetSpec> = {}): DatasetSpec {
  return {
    source: { uri, format: 'csv' },
    schema: {
      columns: seattleColumns(),
    },
    validation: { minRows: 100 },
    ...extra,
  };
}

const dataset = (name: string, spec: DatasetSpec, annotations?: Record<string, string>) => ({
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'Dataset',
  metadata: { name, ...(annotations ? { annotations } : {}) },
  spec,
});

/** A ModelVersion trained on `version` of Dataset `ds`, as a TrainingJob would register it. */
const modelVersion = (name: string, ds: string, version: string) => ({
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'ModelVersion',
  metadata: { name },
  spec: {
    model: 'grow-model',
    version: 1,
    artifact: { uri: 's3://models/grow-model/1/model.onnx', digest: `sha256:${'0'.repeat(64)}`, format: 'onnx' },
    signature: { inputs: [{ name: 'wind', datatype: 'FP32', shape: [-1, 1], feature: 'wind' }], outputs: [{ name: 'label', datatype: 'BYTES', shape: [-1] }] },
    lineage: { dataset: { name: ds, version } },
  },
});

async function getJson(args: string[], namespace: string): Promise<any> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json'], { namespace }));
}

const ready = (ds: any) => ds.status?.conditions?.find((c: any) => c.type === 'Ready');

let s3: S3Server;
let files: string;
let http: Server;
let baseUrl: string;
let store: ArtifactStore;
let seattle: string;

before(async () => {
  s3 = await startS3('datasets');
  store = openStore(`s3://${s3.bucket}/artifacts`, s3.env);
  seattle = await readFile(SEATTLE_CSV, 'utf8');
  files = await mkdtemp(join(tmpdir(), 'modelops-dataset-src-'));
  // The http(s) source: files the tests write, served as they are at the time of the request.
  http = createServer((req, res) => {
    readFile(join(files, (req.url ?? '/').replace(/[^a-z0-9.-]/gi, '')))
      .then((body) => res.writeHead(200, { 'content-type': 'text/csv' }).end(body))
      .catch(() => res.writeHead(404).end('not found'));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => http.close(r));
  await rm(files, { recursive: true, force: true });
  await s3.stop();
});

/** Writes a source file and returns its URL. */
async function source(name: string, text: string): Promise<string> {
  await writeFile(join(files, name), text);
  return `${baseUrl}/${name}`;
}

/** The first `n` data rows of seattle-weather.csv, with `edit` applied to each row's fields. */
function rows(n: number, edit?: (fields: string[], i: number) => void): string {
  const [header, ...data] = seattle.trimEnd().split('\n');
  const out = data.slice(0, n).map((line, i) => {
    const f = line.split(',');
    edit?.(f, i);
    return f.join(',');
  });
  return `${[header, ...out].join('\n')}\n`;
}

interface Setup {
  ns: string;
  kubelet: LocalKubelet;
  start: (image?: string, env?: Record<string, string>) => Promise<OperatorProcess>;
}

/** A workload namespace with the store's Secret, the stand-in kubelet, and the operator under the chart's RBAC. */
async function setup(t: TestContext): Promise<Setup> {
  const opNs = await testNamespace(t, 'op');
  const ns = await testNamespace(t, 'data');
  const { serviceAccount } = await installChartRbac(opNs, { watchNamespaces: [ns] });
  const kubeconfig = await serviceAccountKubeconfig(opNs, serviceAccount);
  await kubectlOk(['create', 'secret', 'generic', 'artifact-store', ...Object.entries(s3.env).map(([k, v]) => `--from-literal=${k}=${v}`)], { namespace: ns });
  const kubelet = startLocalKubelet({
    namespace: ns,
    images: { [IMAGE]: (c) => ({ command: process.execPath, args: [...(c.command ?? []).slice(1), ...(c.args ?? [])], cwd: REPO_ROOT }) },
    env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), MODELOPS_DUCKDB_THREADS: '1' },
  });
  const running: OperatorProcess[] = [];
  t.after(async () => {
    for (const op of running) if (op.child.exitCode === null) await op.kill();
    await kubelet.stop();
  });
  const start = async (image = IMAGE, env: Record<string, string> = {}) => {
    const op = await startOperator({
      kubeconfig,
      args: [`--namespaces=${ns}`, `--artifact-store=s3://${s3.bucket}/artifacts`, '--artifact-store-secret=artifact-store', `--operator-image=${image}`],
      // The operator reaches the store itself (retention) with its own environment.
      env: { POD_NAMESPACE: opNs, ...s3.env, ...env },
    });
    running.push(op);
    return op;
  };
  return { ns, kubelet, start };
}

/** Waits until the Dataset has finished an ingest after `since` (its lastIngestTime moved). */
function ingested(ns: string, name: string, since?: string): Promise<any> {
  return waitFor(
    `Dataset ${name} to finish an ingest`,
    async () => {
      const ds = await getJson(['get', 'mds', name], ns);
      const s = ds.status;
      return s?.lastIngestTime && s.lastIngestTime !== since && s.phase !== 'Ingesting' && s.observedGeneration === ds.metadata.generation ? ds : undefined;
    },
    INGEST_WAIT_MS,
    300,
  );
}

async function ingestJobs(ns: string): Promise<any[]> {
  return (await getJson(['get', 'jobs', '-l', 'app.kubernetes.io/name=modelops-ingest'], ns)).items;
}

async function events(ns: string, name: string): Promise<any[]> {
  return (await getJson(['get', 'events.events.k8s.io', '--field-selector', `regarding.name=${name}`], ns)).items;
}

describe('the Dataset controller', () => {
  it('ingests a source into a version whose data and profile are in the store; the same bytes again add nothing', async (t) => {
    const { ns, kubelet, start } = await setup(t);
    await start();
    const uri = await source('good.csv', seattle);
    await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: dump(dataset('weather', seattleSpec(uri, { refresh: { schedule: '0 3 * * *' } }))) });

    const ds = await ingested(ns, 'weather');
    const s = ds.status;
    assert.equal(s.phase, 'Ready', JSON.stringify(s.conditions));
    assert.equal(ready(ds).status, 'True');
    assert.equal(ready(ds).reason, 'Ingested');
    assert.equal(s.currentVersion.rows, 1461);
    assert.match(s.currentVersion.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(s.currentVersion.version, s.currentVersion.digest.slice(7, 19));
    assert.equal(s.currentVersion.uri, store.uri(datasetDataKey(ns, 'weather', s.currentVersion.digest)));
    assert.deepEqual(s.versions, [s.currentVersion]);
    assert.deepEqual(s.columns.map((c: any) => c.name), ['date', 'precipitation', 'temp_max', 'temp_min', 'wind', 'weather']);
    assert.equal(s.columns.find((c: any) => c.name === 'weather').categories.length, 5);
    assert.equal(s.invalidRows, 0);
    assert.equal(s.ingestJob, 'weather-ingest-g1');
    assert.match(s.nextRefreshTime, /T03:00:00Z$/);
    assert.ok(await store.exists(datasetDataKey(ns, 'weather', s.currentVersion.digest)), 'data in the store');
    const profile = JSON.parse((await store.read(datasetProfileKey(ns, 'weather', s.currentVersion.digest))).toString());
    assert.equal(profile.rows, 1461);

    const [job] = await ingestJobs(ns);
    assert.equal(job.metadata.ownerReferences[0].kind, 'Dataset');
    assert.equal(job.metadata.ownerReferences[0].controller, true);
    assert.equal(job.metadata.labels['modelops.dev/dataset'], 'weather');
    assert.equal(kubelet.ran.length, 1);
    assert.equal(kubelet.ran[0]!.env.MODELOPS_ARTIFACT_AWS_ACCESS_KEY_ID, s3.env.AWS_ACCESS_KEY_ID, 'the store Secret under the contract prefix');
    assert.ok((await events(ns, 'weather')).some((e) => e.reason === 'Ingested'));

    const table = await kubectlOk(['get', 'mds', 'weather'], { namespace: ns });
    assert.match(table, new RegExp(`weather\\s+Ready\\s+${s.currentVersion.version}\\s+1461\\s`), table);

    // A manual refresh of the same bytes: a second run, the same version, no new history entry.
    await kubectlOk(['annotate', 'mds', 'weather', 'modelops.dev/refresh=again'], { namespace: ns });
    const again = await ingested(ns, 'weather', s.lastIngestTime);
    assert.match(again.status.ingestJob, /^weather-ingest-r[0-9a-f]{10}$/);
    assert.deepEqual(again.status.currentVersion, s.currentVersion);
    assert.deepEqual(again.status.versions, [s.currentVersion]);
    assert.equal(kubelet.ran.length, 2);
    assert.equal(kubelet.ran[1]!.env.MODELOPS_PREVIOUS_DIGEST, s.currentVersion.digest);
  });

  it('keeps the previous version current when the data breaks a rule or lacks a column, and says which', async (t) => {
    const { ns, kubelet, start } = await setup(t);
    await start();
    const good = await source('v1.csv', seattle);
    await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: dump(dataset('weather', seattleSpec(good))) });
    const first = (await ingested(ns, 'weather')).status;
    assert.equal(first.phase, 'Ready');

    // Three rows with negative precipitation: the rule is min, the column precipitation, the count 3.
    const bad = await source('bad.csv', rows(1461, (f, i) => {
      if (i % 500 === 7) f[1] = '-1.5';
    }));
    await kubectlOk(['patch', 'mds', 'weather', '--type=merge', '-p', JSON.stringify({ spec: { source: { uri: bad } } })], { namespace: ns });
    const failed = await ingested(ns, 'weather', first.lastIngestTime);
    assert.equal(failed.status.phase, 'Failed');
    assert.equal(ready(failed).status, 'False');
    assert.equal(ready(failed).reason, 'ValidationFailed');
    assert.match(ready(failed).message, /precipitation min: 3 rows below 0/);
    assert.match(ready(failed).message, new RegExp(`version ${first.currentVersion.version} \\(1461 rows\\) stays current`));
    assert.deepEqual(failed.status.currentVersion, first.currentVersion);
    assert.deepEqual(failed.status.versions, [first.currentVersion]);
    assert.equal(kubelet.ran.filter((r) => r.name.startsWith('weather-ingest-g2')).length, 1, 'a validation failure is not retried');
    assert.ok((await events(ns, 'weather')).some((e) => e.type === 'Warning' && e.reason === 'ValidationFailed'));

    // A schema naming a column the data does not have.
    const spec = seattleSpec(good);
    spec.schema.columns.push({ name: 'humidity', type: 'number' });
    await kubectlOk(['patch', 'mds', 'weather', '--type=merge', '-p', JSON.stringify({ spec: { source: { uri: good }, schema: spec.schema } })], { namespace: ns });
    const missing = await ingested(ns, 'weather', failed.status.lastIngestTime);
    assert.equal(missing.status.phase, 'Failed');
    assert.equal(ready(missing).reason, 'ValidationFailed');
    assert.match(ready(missing).message, /humidity/);
    assert.deepEqual(missing.status.currentVersion, first.currentVersion);
  });

  it('removes versions beyond retention.maxVersions from the history and the store, but not one a ModelVersion names', async (t) => {
    const { ns, start } = await setup(t);
    await start();
    const uri = await source('grow.csv', rows(200));
    await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: dump(dataset('grow', seattleSpec(uri, { retention: { maxVersions: 2 } }))) });
    let ds = await ingested(ns, 'grow');
    const versions = [ds.status.currentVersion];
    // A model trained on the first version keeps it (keepReferenced defaults to true).
    await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: dump(modelVersion('grow-model-v1', 'grow', versions[0].version)) });
    for (const n of [300, 400, 500]) {
      await writeFile(join(files, 'grow.csv'), rows(n));
      await kubectlOk(['annotate', 'mds', 'grow', `modelops.dev/refresh=${n}`, '--overwrite'], { namespace: ns });
      ds = await ingested(ns, 'grow', ds.status.lastIngestTime);
      assert.equal(ds.status.currentVersion.rows, n);
      versions.unshift(ds.status.currentVersion);
    }
    // versions: 500, 400, 300, 200 rows. Kept: the newest two, and 200 (referenced); 300 goes.
    ds = await waitFor('the unreferenced old version to leave the history', async () => {
      const o = await getJson(['get', 'mds', 'grow'], ns);
      return o.status.versions.length === 3 ? o : undefined;
    });
    assert.deepEqual(ds.status.versions.map((v: any) => v.rows), [500, 400, 200]);
    const removed = versions[2];
    assert.equal(removed.rows, 300);
    assert.equal(await store.exists(datasetDataKey(ns, 'grow', removed.digest)), false, 'its data removed');
    assert.equal(await store.exists(datasetProfileKey(ns, 'grow', removed.digest)), false, 'its profile removed');
    for (const v of ds.status.versions) assert.equal(await store.exists(datasetDataKey(ns, 'grow', v.digest)), true, `${v.rows} rows kept`);
    const note = (await events(ns, 'grow')).find((e) => e.reason === 'VersionsRemoved')?.note;
    assert.equal(note, `removed version ${removed.version} from the history and the artifact store (retention.maxVersions 2)`);
    assert.equal((await ingestJobs(ns)).length, 3, 'old ingest Jobs are deleted, the newest three stay');
  });

  it('killed after starting an ingest and started again, converges on the one Job', async (t) => {
    const { ns, kubelet, start } = await setup(t);
    const first = await start();
    const uri = await source('kill.csv', seattle);
    await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: dump(dataset('weather', seattleSpec(uri))) });
    await waitFor('the ingest Job', async () => (await ingestJobs(ns)).length === 1, 30_000, 50);
    await first.kill();

    await start();
    const ds = await ingested(ns, 'weather');
    assert.equal(ds.status.phase, 'Ready');
    const jobs = await ingestJobs(ns);
    assert.deepEqual(jobs.map((j) => j.metadata.name), ['weather-ingest-g1']);
    assert.equal(kubelet.ran.length, 1);
  });

  it('reports a refresh schedule it cannot read as InvalidSpec, and starts nothing', async (t) => {
    const { ns, start } = await setup(t);
    await start();
    const uri = await source('tz.csv', seattle);
    await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: dump(dataset('weather', seattleSpec(uri, { refresh: { schedule: '0 3 * * *', timeZone: 'Mars/Olympus_Mons' } }))) });
    const ds = await waitFor('the InvalidSpec condition', async () => {
      const o = await getJson(['get', 'mds', 'weather'], ns);
      return ready(o)?.reason === 'InvalidSpec' ? o : undefined;
    });
    assert.match(ready(ds).message, /^spec\.refresh: time zone "Mars\/Olympus_Mons" is not an IANA time zone name/);
    assert.equal(ds.status.phase, 'Failed');
    assert.equal((await ingestJobs(ns)).length, 0);
  });

  it('says what a run waits for when its image cannot be pulled', async (t) => {
    const { ns, start } = await setup(t);
    await start('localhost/modelops/operator:missing');
    const uri = await source('pull.csv', seattle);
    await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: dump(dataset('weather', seattleSpec(uri))) });
    // Without a node the scheduler reports the Pod unschedulable first; the stand-in kubelet
    // then fails its image pull, which is what the condition says in the end.
    const ds = await waitFor('the IngestBlocked condition naming the image', async () => {
      const o = await getJson(['get', 'mds', 'weather'], ns);
      return ready(o)?.reason === 'IngestBlocked' && /cannot be pulled/.test(ready(o).message) ? o : undefined;
    });
    assert.equal(ds.status.phase, 'Ingesting');
    assert.match(ready(ds).message, /image localhost\/modelops\/operator:missing cannot be pulled \(ErrImagePull/);
    assert.ok((await events(ns, 'weather')).some((e) => e.type === 'Warning' && e.reason === 'IngestBlocked'));
  });

  it('refreshes on its schedule: the same bytes keep the version, and the schedule is recorded', async (t) => {
    const { ns, start } = await setup(t);
    await start();
    const uri = await source('cron.csv', seattle);
    await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: dump(dataset('weather', seattleSpec(uri, { refresh: { schedule: '* * * * *' } }))) });
    const first = await ingested(ns, 'weather');
    // The first scheduled time is the next minute after the Dataset was created.
    const ds = await waitFor(
      'a scheduled refresh',
      async () => {
        const o = await getJson(['get', 'mds', 'weather'], ns);
        return /^weather-ingest-\d+$/.test(o.status.ingestJob) && o.status.phase === 'Ready' ? o : undefined;
      },
      90_000,
      500,
    );
    const minutes = Number(ds.status.ingestJob.split('-').pop());
    assert.equal(ds.status.lastScheduleTime, new Date(minutes * 60_000).toISOString().replace('.000Z', 'Z'));
    assert.ok(Date.parse(ds.status.nextRefreshTime) > Date.parse(ds.status.lastScheduleTime));
    assert.deepEqual(ds.status.currentVersion, first.status.currentVersion);
    assert.deepEqual(ds.status.versions, [first.status.currentVersion]);
    assert.equal(ready(ds).status, 'True');
  });

  it('reports a Job of its name that it does not own, and never adopts it', async (t) => {
    const { ns, start } = await setup(t);
    await start();
    // Suspended, so the Job controller makes no Pods of it.
    const stranger = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'weather-ingest-g1' },
      spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: dump(stranger) });
    const before = await getJson(['get', 'job', 'weather-ingest-g1'], ns);
    const uri = await source('taken.csv', seattle);
    await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: dump(dataset('weather', seattleSpec(uri))) });
    const ds = await waitFor('the ResourceExists condition', async () => {
      const o = await getJson(['get', 'mds', 'weather'], ns);
      return ready(o)?.reason === 'ResourceExists' ? o : undefined;
    });
    assert.match(ready(ds).message, /Job weather-ingest-g1 already exists and is not managed by Dataset weather; delete or rename it/);
    assert.ok((await events(ns, 'weather')).some((e) => e.type === 'Warning' && e.reason === 'ResourceExists'));
    const after = await getJson(['get', 'job', 'weather-ingest-g1'], ns);
    assert.equal(after.metadata.ownerReferences, undefined, 'not adopted');
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'not touched');
  });

  it('deleted and created again under the same name, ingests again once the old Job is gone', async (t) => {
    const { ns, start } = await setup(t);
    await start();
    const uri = await source('again.csv', seattle);
    const yaml = dump(dataset('weather', seattleSpec(uri)));
    await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: yaml });
    const first = await ingested(ns, 'weather');
    await kubectlOk(['delete', 'mds', 'weather', '--wait=true'], { namespace: ns });
    await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: yaml });
    const second = await ingested(ns, 'weather');
    assert.notEqual(second.metadata.uid, first.metadata.uid);
    assert.equal(second.status.phase, 'Ready');
    assert.equal(second.status.currentVersion.digest, first.status.currentVersion.digest, 'same bytes, same version');
    const [job] = await ingestJobs(ns);
    assert.equal(job.metadata.ownerReferences[0].uid, second.metadata.uid);
    assert.ok(!(await events(ns, 'weather')).some((e) => e.reason === 'ResourceExists'), 'the old Job is no stranger');
  });

  it('keeps a version in the history while the store refuses to delete it, and says so', async (t) => {
    const { ns, start } = await setup(t);
    // The Jobs write with the Secret's credentials; the operator's own are wrong, so its deletes fail.
    await start(IMAGE, { AWS_SECRET_ACCESS_KEY: 'wrong' });
    const uri = await source('refuse.csv', rows(200));
    await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: dump(dataset('refuse', seattleSpec(uri, { retention: { maxVersions: 1 } }))) });
    const first = await ingested(ns, 'refuse');
    await writeFile(join(files, 'refuse.csv'), rows(300));
    await kubectlOk(['annotate', 'mds', 'refuse', 'modelops.dev/refresh=2'], { namespace: ns });
    const second = await ingested(ns, 'refuse', first.status.lastIngestTime);
    await waitFor('a RetentionFailed event', async () => (await events(ns, 'refuse')).some((e) => e.type === 'Warning' && e.reason === 'RetentionFailed'));
    const ds = await getJson(['get', 'mds', 'refuse'], ns);
    assert.deepEqual(ds.status.versions.map((v: any) => v.rows), [300, 200], 'the old version stays listed until its objects are gone');
    assert.equal(ds.status.currentVersion.digest, second.status.currentVersion.digest);
    assert.equal(ds.status.phase, 'Ready');
    assert.equal(await store.exists(datasetDataKey(ns, 'refuse', first.status.currentVersion.digest)), true);
  });
});
