// Stories of the DriftMonitor on the real control plane, with live traffic through the real
// model server, a real Prometheus scraping it and a real S3 server holding its prediction log.
// The operator runs as a process under the chart's RBAC. The reference is a real Dataset
// version: the ingest command (as the ingest Job runs it) stores and profiles the
// spring/summer half of seattle-weather.csv in a file:// store, and the test writes that
// version into the Dataset's status, as the Dataset controller would. Each InferenceService is
// served by the real InferenceService controller; runRevisions (test/support/rollout.ts) plays
// the kubelet: it marks the revision's Pod ready and runs the real server (runtime-images/server,
// the classifier fixture model) with the env of the revision's Deployment, so the server bins
// features by the reference profile the operator gave it and writes the prediction log where
// the operator told it to.
//
// Needs runtime-images/server's dependencies installed (npm ci there), `prometheus` on PATH and
// versitygw (hack/build-s3.sh).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { DatasetVersion } from '../../operator/api/v1alpha1/types.ts';
import { sortedSample } from '../../operator/drift/inputs.ts';
import { ksTestSorted } from '../../operator/drift/ks.ts';
import { reference as scipyReference } from '../../operator/drift/testdata/fixture.ts';
import { applyObjects, getJsonIn, kubectl, kubectlOk, suiteNamespace } from '../support/cluster.ts';
import { REPO_ROOT } from '../support/control-plane.ts';
import { startOperator } from '../support/operator.ts';
import type { OperatorProcess } from '../support/operator.ts';
import { freePort, startPrometheus } from '../support/prometheus.ts';
import type { PrometheusServer } from '../support/prometheus.ts';
import { installChartRbac, serviceAccountKubeconfig } from '../support/rbac.ts';
import { runRevisions } from '../support/rollout.ts';
import type { RevisionRunner } from '../support/rollout.ts';
import { startS3 } from '../support/s3.ts';
import type { S3Server } from '../support/s3.ts';
import { ingestSeattle, SEATTLE_CSV, seattleColumns } from '../support/seattle.ts';
import { waitFor } from '../support/wait.ts';

const MODEL_DIR = join(REPO_ROOT, 'runtime-images/server/test/fixtures/models/classifier');
const SERVER_IMAGE = 'localhost/modelops/server:test';
const FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind'];
/** Daily: no scheduled run falls inside a test; runs are asked for with the modelops.dev/run annotation. */
const DAILY = '0 0 * * *';
// The classifier's inputs; the CRD's TensorSpec names one feature per input, so the
// four-column x carries none here and the monitors list their features.
const SIGNATURE = {
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [-1, 4] },
    { name: 'month', datatype: 'INT64', shape: [-1, 1], feature: 'month' },
  ],
  outputs: [{ name: 'label', datatype: 'INT64', shape: [-1] }],
};

let work: string;
let opNs: string;
let ns: string;
let op: OperatorProcess | undefined;
let prom: PrometheusServer;
let version: DatasetVersion;
let digest: string;
let runner: RevisionRunner;
let s3: S3Server;
let hook: { server: Server; url: string; got: { headers: IncomingHttpHeaders; body: unknown }[] };

/** Data rows of the CSV (header left out), indexed as the scipy fixture indexes them. */
let rows: string[];
let header: string;

const apply = (...objects: object[]) => applyObjects(ns, ...objects);

const getJson = (args: string[]) => getJsonIn(ns, args);

function condition(status: any, type: string): any {
  return status?.conditions?.find((c: any) => c.type === type);
}

/** A ModelVersion of the classifier trained (per its lineage) on the reference version. */
function modelVersion(model: string) {
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'ModelVersion',
    metadata: { name: `${model}-v1` },
    spec: {
      model,
      version: 1,
      signature: SIGNATURE,
      artifact: { uri: pathToFileURL(join(MODEL_DIR, 'model.onnx')).href, digest },
      lineage: { dataset: { name: 'seattle', version: version.version, digest: version.digest } },
    },
  };
}

/** Where the prediction log of InferenceService `model` goes: the test's bucket of the real S3 server. */
const logUri = (model: string) => `s3://${s3.bucket}/predictions/${ns}/${model}`;

/**
 * Serves `model` with the real InferenceService controller and the real server (runRevisions
 * marks the revision's Pod ready and runs the server with the Deployment's env); returns the
 * server's address. `predictionLog`: the server logs every request to S3, flushing every 200 ms.
 */
async function serve(model: string, opts: { predictionLog?: boolean } = {}): Promise<string> {
  await apply(modelVersion(model));
  await waitFor(`ModelVersion ${model}-v1 Ready`, async () => (await getJson(['get', 'mv', `${model}-v1`]))?.status?.phase === 'Ready');
  const server = opts.predictionLog ? { server: { predictionLog: { sampleRate: 1, uri: logUri(model) }, env: [{ name: 'PREDICTION_LOG_FLUSH_MS', value: '200' }] } } : {};
  await apply({ apiVersion: 'modelops.dev/v1alpha1', kind: 'InferenceService', metadata: { name: model }, spec: { model: { modelVersion: `${model}-v1` }, replicas: 1, ...server } });
  const revision: string = await waitFor(`InferenceService ${model}: a revision`, async () => (await getJson(['get', 'misvc', model]))?.status?.desiredRevision);
  const address = await waitFor(`server of ${model} ready`, () => runner.address(revision), 60_000);
  await waitFor(`InferenceService ${model} serving`, async () => (await getJson(['get', 'misvc', model]))?.status?.servingModelVersion === `${model}-v1`);
  const env = runner.env(revision)!;
  assert.equal(env.REFERENCE_PROFILE, version.profileUri, 'the operator gives the server the reference profile');
  if (opts.predictionLog) assert.equal(env.PREDICTION_LOG_URI, logUri(model), 'the operator tells the server where to log');
  return address;
}

/** The lines of the prediction log of `model` in S3 so far. */
async function logLines(model: string): Promise<number> {
  const prefix = `predictions/${ns}/${model}/`;
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  let lines = 0;
  for (const o of listed.Contents ?? []) {
    const body = await (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: o.Key! }))).Body!.transformToString();
    lines += body.split('\n').filter((l) => l.trim()).length;
  }
  return lines;
}

/** Exact two-sample KS of a feature between CSV rows, on the doubles of the CSV (what scipy would compute). */
function exactKs(feature: string, referenceRows: readonly number[], liveRows: readonly number[]): { statistic: number; pValue: number } {
  const col = header.split(',').indexOf(feature);
  const values = (idx: readonly number[]) => sortedSample(idx.map((k) => Number(rows[k]!.split(',')[col])));
  return ksTestSorted(values(referenceRows), values(liveRows));
}

/** Sends the rows to the server as inference requests of 32 rows, as clients would. */
async function send(address: string, model: string, indices: readonly number[]): Promise<void> {
  for (let i = 0; i < indices.length; i += 32) {
    const batch = indices.slice(i, i + 32).map((k) => rows[k]!.split(','));
    const body = {
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [batch.length, 4], data: batch.map((r) => [Number(r[1]), Number(r[2]), Number(r[3]), Number(r[4])]) },
        { name: 'month', datatype: 'INT64', shape: [batch.length, 1], data: batch.map((r) => [Number(r[0]!.slice(5, 7))]) },
      ],
    };
    const res = await fetch(`http://${address}/v2/models/${model}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 200, await res.text());
  }
}

function monitor(name: string, target: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'DriftMonitor',
    metadata: { name, annotations: { 'modelops.dev/run': '1' } },
    spec: { targetRef: { name: target }, schedule: DAILY, window: '10m', features: FEATURES.map((n) => ({ name: n })), ...spec },
  };
}

async function monitorStatus(name: string, what: string, ok: (s: any) => boolean, timeoutMs = 60_000): Promise<any> {
  return waitFor(`DriftMonitor ${name}: ${what}`, async () => {
    const s = (await getJson(['get', 'driftmonitor', name]))?.status;
    return s && ok(s) ? s : undefined;
  }, timeoutMs, 500);
}

async function trainingJobsOf(monitorName: string): Promise<any[]> {
  const list = await getJson(['get', 'trainingjobs']);
  return list.items.filter((j: any) => j.metadata.ownerReferences?.some((r: any) => r.kind === 'DriftMonitor' && r.name === monitorName));
}

async function events(name: string): Promise<any[]> {
  return (await getJson(['get', 'events.events.k8s.io', '--field-selector', `regarding.name=${name}`])).items;
}

const addresses: Record<string, string> = {};

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'modelops-drift-'));
  const csv = (await readFile(SEATTLE_CSV, 'utf8')).trim().split('\n');
  header = csv[0]!;
  rows = csv.slice(1);
  digest = `sha256:${createHash('sha256').update(await readFile(join(MODEL_DIR, 'model.onnx'))).digest('hex')}`;

  opNs = await suiteNamespace('drift-op', { restricted: false });
  ns = await suiteNamespace('drift-work', { restricted: false });
  // Reference: one half of the March-August rows (the scipy fixture's seeded split).
  const refCsv = join(work, 'reference.csv');
  await writeFile(refCsv, [header, ...scipyReference.scenarios.holdout.referenceRows.map((i) => rows[i])].join('\n') + '\n');
  version = await ingestSeattle({ csv: refCsv, namespace: ns, store: pathToFileURL(join(work, 'store')).href, work });
  await apply({ apiVersion: 'modelops.dev/v1alpha1', kind: 'Dataset', metadata: { name: 'seattle' }, spec: { source: { uri: pathToFileURL(refCsv).href, format: 'csv' }, schema: { columns: seattleColumns() } } });
  await kubectlOk(['patch', 'dataset', 'seattle', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Ready', currentVersion: version, versions: [version] } })], { namespace: ns });

  // The webhook receiver: a local HTTP server standing for Alertmanager.
  const got: { headers: IncomingHttpHeaders; body: unknown }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ headers: req.headers, body: JSON.parse(body) });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hook = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/alerts`, got };
  await kubectlOk(['create', 'secret', 'generic', 'alert-auth', '--from-literal=AUTHORIZATION=Bearer drift-token'], { namespace: ns });

  // Five served models, one per story: winter traffic, held-out summer traffic, a trickle, and
  // winter and held-out traffic again on two services that keep a prediction log in S3.
  // Prometheus starts first (the operator takes its URL); it discovers the servers once they run.
  // The operator reads the log with its own S3 credentials; the servers get theirs as a Pod
  // gets the artifact store's Secret.
  s3 = await startS3('drift');
  const { serviceAccount } = await installChartRbac(opNs, { watchNamespaces: [ns] });
  const kubeconfig = await serviceAccountKubeconfig(opNs, serviceAccount);
  prom = await startPrometheus([], { fileTargets: true });
  op = await startOperator({
    kubeconfig,
    args: [`--namespaces=${ns}`, '--workers=4', `--server-image=${SERVER_IMAGE}`, `--prometheus-url=${prom.url}`],
    env: { POD_NAMESPACE: opNs, ...s3.env },
  });
  runner = runRevisions(ns, prom, 250, { ...s3.env, S3_FORCE_PATH_STYLE: 'true', WORKERS: '1', ACCESS_LOG_SAMPLE_RATE: '0' });
  for (const model of ['winter', 'summer', 'trickle']) addresses[model] = await serve(model);
  for (const model of ['winter-log', 'summer-log']) addresses[model] = await serve(model, { predictionLog: true });
  // Two scrapes of every server before any traffic: increase() then sees the counters start at 0.
  await waitFor('two scrapes of every server', async () => {
    const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent('min(count_over_time(up[1m]))')}`);
    const v = ((await res.json()) as any).data?.result?.[0]?.value?.[1];
    return Number(v) >= 2 && (await fetch(`${prom.url}/api/v1/query?query=count(up==1)`).then((r) => r.json()) as any).data?.result?.[0]?.value?.[1] === '5';
  }, 30_000, 500);
  await send(addresses.winter!, 'winter', scipyReference.scenarios.winter.liveRows);
  await send(addresses.summer!, 'summer', scipyReference.scenarios.holdout.liveRows);
  await send(addresses.trickle!, 'trickle', scipyReference.scenarios.winter.liveRows.slice(0, 40));
  await send(addresses['winter-log']!, 'winter-log', scipyReference.scenarios.winter.liveRows);
  await send(addresses['summer-log']!, 'summer-log', scipyReference.scenarios.holdout.liveRows);
  // One record per request of 32 rows, in S3 once the server has flushed.
  const requests = (n: number) => Math.ceil(n / 32);
  await waitFor('the prediction logs written', async () => (await logLines('winter-log')) === requests(361) && (await logLines('summer-log')) === requests(scipyReference.scenarios.holdout.liveRows.length), 30_000, 500);
  // The traffic is in Prometheus once a scrape after it is.
  await waitFor('the traffic scraped', async () => {
    const q = encodeURIComponent('sum(modelops_feature_value_count{feature="wind",model=~"winter|summer|trickle"})');
    const v = ((await (await fetch(`${prom.url}/api/v1/query?query=${q}`)).json()) as any).data?.result?.[0]?.value?.[1];
    return Number(v) === 361 + scipyReference.scenarios.holdout.liveRows.length + 40;
  }, 30_000, 500);
  // increase() extrapolates a series towards the window's end by up to a scrape interval; on a
  // series whose increase spans only a second or two that inflates the counts by up to half.
  // Ten more seconds of scrapes keep it under a tenth, as a long-lived server's series are.
  await new Promise((r) => setTimeout(r, 10_000));
  // No run annotation: this one runs only when its every-minute schedule says so.
  const scheduled = monitor('scheduled-drift', 'winter', { schedule: '* * * * *', predictionDrift: false });
  delete (scheduled.metadata as { annotations?: unknown }).annotations;
  await apply(scheduled);
});

after(async () => {
  if (op && op.child.exitCode === null) await op.kill();
  await runner?.stop();
  await prom?.stop();
  await s3?.stop();
  hook?.server.close();
  const retried = op?.logs(/reconcile failed/) ?? [];
  process.stderr.write(`# operator: ${retried.length} reconciles retried${retried.length ? `: ${JSON.stringify(retried.slice(0, 5).map((l) => String(l.err).slice(0, 300)))}` : ''}\n`);
  for (const n of [ns, opNs]) if (n) await kubectl(['delete', 'namespace', n, '--wait=false']);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a DriftMonitor on a served model', () => {
  it('finds drift when winter traffic meets a spring/summer reference: Event, alert, one retraining, then the cooldown holds', async () => {
    await apply(
      monitor('winter-drift', 'winter', {
        actions: {
          webhook: { url: hook.url, secretRef: { name: 'alert-auth' } },
          retrain: {
            template: { metadata: { labels: { team: 'weather' } }, spec: { datasetRef: { name: 'seattle' }, model: 'winter', hyperparameters: { epochs: 5 } } },
            cooldown: '1h',
            aliases: ['production'],
          },
        },
      }),
    );
    const s = await monitorStatus('winter-drift', 'a Drifted run', (x) => x.phase === 'Drifted');
    assert.equal(s.drifted, true);
    assert.deepEqual(s.referenceDataset, { name: 'seattle', version: version.version }, 'the reference defaults to the version in the served model\'s lineage');
    const byName = Object.fromEntries(s.features.map((f: any) => [f.name, f]));
    process.stderr.write(`# winter: ${s.features.map((f: any) => `${f.name} ${f.method} D=${f.statistic?.toFixed(3)} p=${f.pValue?.toExponential(1)} n=${f.samples} ${f.verdict}`).join('; ')}\n`);
    for (const f of ['temp_max', 'temp_min']) {
      assert.equal(byName[f].verdict, 'Drift', `${f}: ${JSON.stringify(byName[f])}`);
      assert.equal(byName[f].method, 'KS', '368 reference rows: a test, not a distance');
      assert.ok(byName[f].pValue < 1e-20, `${f} p-value ${byName[f].pValue}`);
    }
    // increase() extrapolates towards the window's end: somewhat above the 361 rows sent, uniformly.
    for (const f of FEATURES) assert.ok(byName[f].samples >= 361 && byName[f].samples <= 361 * 1.2, `${f}: ${byName[f].samples} live samples for 361 rows`);
    assert.ok(s.driftedShare >= 0.5);
    assert.ok(s.prediction, 'the server counts predicted classes, so prediction drift is measured');
    assert.equal(s.prediction.name, 'weather');
    assert.equal(condition(s, 'Ready').reason, 'Measured');
    assert.equal(condition(s, 'Drifted').reason, 'DriftDetected');
    assert.ok(s.nextRunTime && s.lastRunTime);

    const warned = await waitFor('a DriftDetected event', async () => (await events('winter-drift')).find((e) => e.reason === 'DriftDetected'));
    assert.equal(warned.type, 'Warning');
    assert.match(warned.note, /temp_max \(KS p=/);

    // The alert, as Alertmanager's API takes it, with the Secret's Authorization header.
    const alert = await waitFor('the webhook alert', () => hook.got[0]);
    assert.equal(alert.headers.authorization, 'Bearer drift-token');
    const [a] = alert.body as any[];
    assert.equal(a.labels.alertname, 'ModelDriftDetected');
    assert.equal(a.labels.namespace, ns);
    assert.equal(a.labels.driftmonitor, 'winter-drift');
    assert.equal(a.labels.modelversion, 'winter-v1');
    assert.match(a.annotations.drifted_features, /temp_max/);
    assert.ok(!Number.isNaN(Date.parse(a.startsAt)));
    assert.equal(condition(await monitorStatus('winter-drift', 'Alerted', (x) => !!condition(x, 'Alerted')), 'Alerted').reason, 'AlertSent');

    // One retraining, on the reference Dataset's current version, owned by the monitor.
    const [job, ...more] = await waitFor('the retraining TrainingJob', async () => {
      const jobs = await trainingJobsOf('winter-drift');
      return jobs.length ? jobs : undefined;
    });
    assert.equal(more.length, 0);
    assert.match(job.metadata.name, /^winter-drift-retrain-r[0-9a-f]{10}$/, 'a requested run names its retraining after the request');
    assert.deepEqual(job.spec.datasetRef, { name: 'seattle' });
    assert.deepEqual(job.spec.registration, { aliases: ['production'] });
    assert.equal(job.metadata.labels.team, 'weather');
    assert.equal(job.metadata.ownerReferences[0].controller, true);
    const started = await monitorStatus('winter-drift', 'the retraining recorded', (x) => x.retrainingJob === job.metadata.name);
    assert.ok(started.lastRetrainTime);

    // The operator here has no artifact store, so the TrainingJob controller fails the run at
    // once: nothing is in flight, and only the cooldown keeps the next drifted run from retraining.
    await waitFor('the retraining run finished', async () => (await getJson(['get', 'trainingjob', job.metadata.name]))?.status?.phase === 'Failed');
    await kubectlOk(['annotate', 'driftmonitor', 'winter-drift', 'modelops.dev/run=2', '--overwrite'], { namespace: ns });
    const later = await monitorStatus('winter-drift', 'a second drifted run', (x) => x.lastRunRequest === '2' && x.history?.length >= 2 && x.history.slice(0, 2).every((h: any) => h.verdict === 'Drifted'));
    assert.equal(condition(later, 'Retraining').reason, 'CooldownActive', JSON.stringify(condition(later, 'Retraining')));
    assert.equal((await trainingJobsOf('winter-drift')).length, 1, 'the cooldown allows no second retraining');
    assert.equal(hook.got.length, later.history.length, 'one alert per drifted run: no run repeated on a stale copy of the monitor');

    const metrics = await op!.metrics();
    assert.match(metrics, new RegExp(`modelops_drift_detected\\{namespace="${ns}",monitor="winter-drift",feature="temp_max"\\} 1`));
    assert.match(metrics, new RegExp(`modelops_drift_dataset_drifted\\{namespace="${ns}",monitor="winter-drift"\\} 1`));
  });

  it('finds no drift on held-out rows of the same months (no false alarm), and retrains nothing', async () => {
    await apply(monitor('summer-drift', 'summer', { predictionDrift: false, actions: { retrain: { template: { spec: { datasetRef: { name: 'seattle' }, model: 'summer' } } } } }));
    const s = await monitorStatus('summer-drift', 'a run', (x) => x.lastRunTime && x.phase !== 'Pending');
    process.stderr.write(`# held-out: ${s.features.map((f: any) => `${f.name} ${f.method} D=${f.statistic?.toFixed(3)} p=${f.pValue?.toFixed(2)} n=${f.samples} ${f.verdict}`).join('; ')}\n`);
    assert.equal(s.phase, 'NoDrift', JSON.stringify(s.features));
    assert.equal(s.drifted, false);
    for (const f of s.features) assert.equal(f.verdict, 'NoDrift', JSON.stringify(f));
    assert.equal(condition(s, 'Drifted').status, 'False');
    assert.equal((await trainingJobsOf('summer-drift')).length, 0);
  });

  it('says InsufficientData, not NoDrift, when too few requests came in the window', async () => {
    await apply(monitor('trickle-drift', 'trickle', { predictionDrift: false }));
    const s = await monitorStatus('trickle-drift', 'a run', (x) => x.lastRunTime && x.phase !== 'Pending');
    assert.equal(s.phase, 'InsufficientData');
    for (const f of s.features) {
      assert.equal(f.verdict, 'InsufficientData');
      assert.ok(f.samples < 100 && f.samples >= 30, `${f.name}: ${f.samples}`);
    }
    assert.match(condition(s, 'Drifted').message, /too few live samples/);
  });

  it('is removed with its gauges', async () => {
    await kubectlOk(['delete', 'driftmonitor', 'trickle-drift'], { namespace: ns });
    await waitFor('the gauges of trickle-drift gone', async () => !(await op!.metrics()).includes('monitor="trickle-drift"'));
  });

  it('keeps the run when the webhook cannot be reached, and says so in a condition and an Event', async () => {
    const closed = await freePort();
    await apply(monitor('unheard-drift', 'winter', { predictionDrift: false, actions: { webhook: { url: `http://127.0.0.1:${closed}/api/v2/alerts` } } }));
    const s = await monitorStatus('unheard-drift', 'a run', (x) => x.lastRunTime && !!condition(x, 'Alerted'));
    assert.equal(s.phase, 'Drifted', 'the run stands');
    const alerted = condition(s, 'Alerted');
    assert.equal(alerted.status, 'False');
    assert.equal(alerted.reason, 'WebhookFailed');
    assert.match(alerted.message, /could not be delivered .*ECONNREFUSED/);
    await waitFor('a WebhookFailed event', async () => (await events('unheard-drift')).find((e) => e.reason === 'WebhookFailed' && e.type === 'Warning'));
    const table = await kubectlOk(['get', 'mdm', 'unheard-drift'], { namespace: ns });
    assert.match(table, /^NAME\s+TARGET\s+PHASE\s+DRIFTED-SHARE\s+LAST-RUN\s+AGE\n/);
    assert.match(table, /\nunheard-drift\s+winter\s+Drifted\s+1\s+\d+s\s+\d+s\n/);
  });

  it('runs on its cron schedule and says when the next run is', async () => {
    const created = Date.parse((await getJson(['get', 'driftmonitor', 'scheduled-drift'])).metadata.creationTimestamp);
    const s = await monitorStatus('scheduled-drift', 'a scheduled run', (x) => !!x.lastRunTime, 75_000);
    assert.equal(s.phase, 'Drifted');
    const ran = Date.parse(s.lastRunTime);
    const firstTick = Math.floor(created / 60_000) * 60_000 + 60_000;
    assert.ok(ran >= firstTick && ran < firstTick + 30_000, `ran at ${s.lastRunTime}, the first minute after creation is ${new Date(firstTick).toISOString()}`);
    assert.equal(Date.parse(s.nextRunTime) % 60_000, 0);
    assert.ok(Date.parse(s.nextRunTime) > ran && Date.parse(s.nextRunTime) <= ran + 60_000, `next run ${s.nextRunTime}`);
    assert.equal(condition(s, 'Scheduled').status, 'True');
    assert.equal(s.lastRunRequest, undefined, 'no run was requested');
  });

  it('source PredictionLog: finds drift in winter traffic with exact statistics on the logged samples, prediction drift included', async () => {
    await apply(monitor('winter-log-drift', 'winter-log', { source: 'PredictionLog' }));
    const s = await monitorStatus('winter-log-drift', 'a run', (x) => x.lastRunTime && x.phase !== 'Pending');
    process.stderr.write(`# winter, prediction log: ${[...s.features, s.prediction].map((f: any) => `${f.name} ${f.method} stat=${f.statistic?.toFixed(4)} p=${f.pValue?.toExponential(2)} n=${f.samples} ${f.verdict}`).join('; ')}\n# ${s.liveData?.message}\n`);
    assert.equal(s.phase, 'Drifted', JSON.stringify(s));
    assert.equal(s.liveData.source, 'PredictionLog');
    assert.equal(s.liveData.uri, logUri('winter-log'));
    assert.equal(s.liveData.records, Math.ceil(361 / 32), 'one record per request');
    assert.equal(s.liveData.rows, 361);
    assert.equal(s.liveData.skippedLines, 0);
    assert.equal(s.liveData.limited, false);
    const { referenceRows } = scipyReference.scenarios.holdout;
    const { liveRows } = scipyReference.scenarios.winter;
    for (const f of s.features) {
      assert.equal(f.samples, 361, `${f.name}: exactly the rows sent, no extrapolation`);
      assert.equal(f.method, 'KS');
      // The exact statistic on the CSV's doubles: the float32 the server logs keeps every value's order and ties.
      const want = exactKs(f.name, referenceRows, liveRows);
      assert.ok(Math.abs(f.statistic - want.statistic) < 1e-12, `${f.name}: D ${f.statistic}, exact ${want.statistic}`);
      assert.ok(Math.abs(f.pValue - want.pValue) <= 1e-9 * want.pValue, `${f.name}: p ${f.pValue}, exact ${want.pValue}`);
    }
    for (const f of ['temp_max', 'temp_min']) assert.equal(s.features.find((x: any) => x.name === f).verdict, 'Drift');
    assert.equal(s.prediction.name, 'weather', 'predicted classes from the log against the reference rows\' weather');
    assert.equal(s.prediction.samples, 361);
    assert.match(condition(s, 'Ready').message, /exact samples from the prediction log \(12 records, 361 rows\)/);
  });

  it('source PredictionLog: finds no drift on held-out rows of the same months, with scipy\'s exact KS', async () => {
    await apply(monitor('summer-log-drift', 'summer-log', { source: 'PredictionLog', predictionDrift: false }));
    const s = await monitorStatus('summer-log-drift', 'a run', (x) => x.lastRunTime && x.phase !== 'Pending');
    process.stderr.write(`# held-out, prediction log: ${s.features.map((f: any) => `${f.name} ${f.method} D=${f.statistic?.toFixed(4)} p=${f.pValue?.toFixed(3)} n=${f.samples} ${f.verdict}`).join('; ')}\n`);
    assert.equal(s.phase, 'NoDrift', JSON.stringify(s.features));
    const { liveRows, numeric } = scipyReference.scenarios.holdout;
    assert.equal(s.liveData.rows, liveRows.length);
    for (const f of s.features) {
      assert.equal(f.verdict, 'NoDrift');
      assert.equal(f.samples, liveRows.length);
      const want = numeric[f.name]!.ks;
      assert.ok(Math.abs(f.statistic - want.statistic) < 1e-12, `${f.name}: D ${f.statistic}, scipy ${want.statistic}`);
      assert.ok(Math.abs(f.pValue - want.pValue) <= 1e-9 * want.pValue, `${f.name}: p ${f.pValue}, scipy ${want.pValue}`);
    }
  });

  it('source PredictionLog: skips and counts a corrupt line, says where in status and an Event, and leaves the log as it is', async () => {
    const key = `predictions/${ns}/winter-log/${new Date().toISOString().slice(0, 10)}/corrupt-000000.jsonl`;
    const truncated = `{"time":"${new Date().toISOString()}","request_id":"cut","model":"winter-log","version":"1","inputs":{"x":{"datatype":"FP32","sha`;
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: `${truncated}\n` }));
    await kubectlOk(['annotate', 'driftmonitor', 'winter-log-drift', 'modelops.dev/run=2', '--overwrite'], { namespace: ns });
    const s = await monitorStatus('winter-log-drift', 'the second run', (x) => x.lastRunRequest === '2');
    assert.equal(s.phase, 'Drifted', 'the valid records still make the run');
    assert.equal(s.liveData.skippedLines, 1);
    assert.equal(s.liveData.records, Math.ceil(361 / 32));
    assert.equal(s.liveData.linesRead, Math.ceil(361 / 32) + 1);
    const where = new RegExp(`skipped 1 of 13 lines of the prediction log that are not valid prediction records: s3://${s3.bucket}/${key.replace(/[.]/g, '\\.')} line 1: not JSON`);
    assert.match(s.liveData.message, where);
    const event = await waitFor('a PredictionLogLinesSkipped event', async () => (await events('winter-log-drift')).find((e) => e.reason === 'PredictionLogLinesSkipped'));
    assert.equal(event.type, 'Warning');
    assert.match(event.note, where);
    assert.match(event.note, /left in place$/);
    await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key })); // still there: nothing is deleted
  });

  it('source PredictionLog: fails a run with what to do when the target keeps no prediction log', async () => {
    await apply(monitor('nolog-drift', 'summer', { source: 'PredictionLog' }));
    const s = await monitorStatus('nolog-drift', 'a failed run', (x) => x.phase === 'Failed');
    assert.equal(condition(s, 'Ready').reason, 'PredictionLogUnavailable');
    assert.match(condition(s, 'Ready').message, /InferenceService summer keeps no prediction log; set spec.server.predictionLog.sampleRate/);
  });

  it('fails a run with a clear message when Prometheus is down, and creates nothing', async () => {
    await prom.stop();
    await apply(monitor('down-drift', 'winter', { actions: { retrain: { template: { spec: { datasetRef: { name: 'seattle' }, model: 'winter' } } } } }));
    const s = await monitorStatus('down-drift', 'a failed run', (x) => x.phase === 'Failed');
    const ready = condition(s, 'Ready');
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'PrometheusUnavailable');
    assert.match(ready.message, /Prometheus did not answer: .*ECONNREFUSED.*--prometheus-url/);
    assert.equal(s.history[0].verdict, 'Failed');
    assert.equal((await trainingJobsOf('down-drift')).length, 0);
    await waitFor('a PrometheusUnavailable event', async () => (await events('down-drift')).find((e) => e.reason === 'PrometheusUnavailable'));
  });

  it('says what to do when the target does not exist', async () => {
    await apply(monitor('lost-drift', 'no-such-service'));
    const s = await monitorStatus('lost-drift', 'a failed run', (x) => x.phase === 'Failed');
    assert.equal(condition(s, 'Ready').reason, 'TargetNotFound');
    assert.match(condition(s, 'Ready').message, /InferenceService no-such-service does not exist .*correct spec.targetRef.name/);
  });
});
