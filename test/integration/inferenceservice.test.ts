// The InferenceService reconciler on the real control plane, the operator a process under the
// chart's RBAC. There is no node: the Deployment and ReplicaSet controllers make real Pods that
// stay unscheduled, and the test plays the kubelet by writing the Pods' status (Running, Ready,
// or an image that cannot be pulled), so availability is computed by the real controllers.
// Stories: a ModelVersion is served (Deployment with the contract's env, Service switched to
// it, Healthy); an alias moved to a new version starts a new revision that takes traffic only
// once ready, and the old one goes; a new revision that cannot start leaves the old one serving
// and says why; a model that does not exist is ModelResolved=False; autoscaling makes an HPA.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { applyObjects, getJsonIn, kubectl, kubectlOk, suiteNamespace } from '../support/cluster.ts';
import { REPO_ROOT } from '../support/control-plane.ts';
import { startOperator } from '../support/operator.ts';
import type { OperatorProcess } from '../support/operator.ts';
import { installChartRbac, serviceAccountKubeconfig } from '../support/rbac.ts';
import { waitFor } from '../support/wait.ts';

const FIXTURE = join(REPO_ROOT, 'runtime-images/server/test/fixtures/models/classifier/model.onnx');
const SIGNATURE = {
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
};
const SERVER_IMAGE = 'localhost/modelops/server:test';

let digest: string;
let opNs: string;
let ns: string;
let op: OperatorProcess | undefined;

const apply = (...objects: object[]) => applyObjects(ns, ...objects);

const getJson = (args: string[]) => getJsonIn(ns, args);

/** A ModelVersion `<model>-v<n>` of the fixture model, claiming `aliases`. */
function version(name: string, aliases: string[] = []) {
  const [, model, n] = /^(.*)-v(\d+)$/.exec(name)!;
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'ModelVersion',
    metadata: { name },
    spec: { model, version: Number(n), signature: SIGNATURE, artifact: { uri: pathToFileURL(FIXTURE).href, digest }, ...(aliases.length ? { aliases } : {}) },
  };
}

function inferenceService(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'modelops.dev/v1alpha1', kind: 'InferenceService', metadata: { name }, spec };
}

async function mvReady(name: string, alias?: string): Promise<void> {
  await waitFor(`ModelVersion ${name} Ready${alias ? ` holding ${alias}` : ''}`, async () => {
    const o = await getJson(['get', 'mv', name]);
    return o?.status?.phase === 'Ready' && (!alias || o.status.aliases?.includes(alias));
  });
}

async function isvcStatus(name: string, what: string, ok: (s: any) => boolean, timeoutMs = 30_000): Promise<any> {
  return waitFor(`InferenceService ${name}: ${what}`, async () => {
    const o = await getJson(['get', 'misvc', name]);
    return o?.status && o.status.observedGeneration === o.metadata.generation && ok(o.status) ? o.status : undefined;
  }, timeoutMs);
}

function condition(status: any, type: string): any {
  return status?.conditions?.find((c: any) => c.type === type);
}

async function revisionsOf(isvc: string): Promise<string[]> {
  const list = await getJson(['get', 'deployments', '-l', `modelops.dev/inferenceservice=${isvc}`]);
  return list.items.map((d: any) => d.metadata.name).sort();
}

async function podsOf(revision: string, count = 1): Promise<any[]> {
  return waitFor(`${count} Pod(s) of revision ${revision}`, async () => {
    const list = await getJson(['get', 'pods', '-l', `modelops.dev/revision=${revision}`]);
    const live = list.items.filter((p: any) => !p.metadata.deletionTimestamp);
    return live.length >= count ? live : undefined;
  });
}

async function patchPodStatus(name: string, status: object): Promise<void> {
  await kubectlOk(['patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })], { namespace: ns });
}

/** What a kubelet reports for a server that started, loaded the model and passes readiness. */
async function markReady(revision: string, count = 1): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const pod of await podsOf(revision, count)) {
    await patchPodStatus(pod.metadata.name, {
      phase: 'Running',
      startTime: now,
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: now },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
        { type: 'Ready', status: 'True', lastTransitionTime: now },
      ],
      containerStatuses: [{ name: 'server', image: SERVER_IMAGE, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } }],
    });
  }
}

async function events(name: string): Promise<any[]> {
  return (await getJson(['get', 'events.events.k8s.io', '--field-selector', `regarding.name=${name}`])).items;
}

async function eventWith(name: string, reason: string, note?: RegExp): Promise<any> {
  return waitFor(`a ${reason} event on ${name}${note ? ` saying ${note}` : ''}`, async () => (await events(name)).find((e) => e.reason === reason && (!note || note.test(e.note))));
}

before(async () => {
  digest = `sha256:${createHash('sha256').update(await readFile(FIXTURE)).digest('hex')}`;
  opNs = await suiteNamespace('isvc-op');
  ns = await suiteNamespace('isvc-work');
  const { serviceAccount } = await installChartRbac(opNs, { watchNamespaces: [ns] });
  const kubeconfig = await serviceAccountKubeconfig(opNs, serviceAccount);
  op = await startOperator({
    kubeconfig,
    args: [`--namespaces=${ns}`, '--workers=4', `--server-image=${SERVER_IMAGE}`, '--artifact-store-secret=artifacts'],
    env: { POD_NAMESPACE: opNs },
  });
});

after(async () => {
  if (op && op.child.exitCode === null) await op.kill();
  const retried = op?.logs(/reconcile failed/) ?? [];
  process.stderr.write(`# operator: ${op?.logs(/applied revision Deployment/).length} re-applies of an existing revision Deployment, ${op?.logs(/created revision/).length} revisions created\n`);
  process.stderr.write(`# operator: ${retried.length} reconciles retried with backoff${retried.length ? `: ${JSON.stringify(retried.slice(0, 5).map((l) => String(l.err).slice(0, 200)))}` : ''}\n`);
  for (const n of [ns, opNs]) if (n) await kubectl(['delete', 'namespace', n, '--wait=false']);
});

describe('serving a ModelVersion', () => {
  it('runs it in a revision Deployment with the server contract\'s env, switches the Service to it once ready, and is Healthy', async () => {
    await apply(version('weather-v1', ['production']));
    await mvReady('weather-v1', 'production');
    await apply(inferenceService('weather', { model: { name: 'weather', alias: 'production' }, replicas: 1, server: { maxBatchSize: 8 } }));

    const pending = await isvcStatus('weather', 'a desired revision', (s) => !!s.desiredRevision);
    const revision: string = pending.desiredRevision;
    assert.match(revision, /^weather-[0-9a-f]{10}$/);
    assert.equal(pending.phase, 'Pending', 'nothing serves before the Pods are ready');
    assert.equal(pending.servingRevision, undefined);
    assert.equal(condition(pending, 'ModelResolved').status, 'True');

    const deployment = await getJson(['get', 'deployment', revision]);
    const container = deployment.spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
    assert.equal(container.image, SERVER_IMAGE);
    assert.equal(env.MODEL_URI, pathToFileURL(FIXTURE).href);
    assert.equal(env.MODEL_SHA256, digest);
    assert.equal(env.MODEL_NAME, 'weather');
    assert.equal(env.MODEL_VERSION, '1');
    assert.equal(env.SIGNATURE_URI, pathToFileURL(join(FIXTURE, '../signature.json')).href);
    assert.equal(env.MAX_BATCH_SIZE, '8');
    assert.deepEqual(container.envFrom, [{ secretRef: { name: 'artifacts' } }]);
    assert.equal(deployment.metadata.ownerReferences[0].kind, 'InferenceService');
    assert.equal(deployment.spec.replicas, 1);
    const revisionService = await getJson(['get', 'service', revision]);
    assert.deepEqual(revisionService.spec.selector, { 'modelops.dev/inferenceservice': 'weather', 'modelops.dev/revision': revision });

    await markReady(revision);
    const healthy = await isvcStatus('weather', 'Healthy', (s) => s.phase === 'Healthy');
    assert.equal(healthy.servingRevision, revision);
    assert.equal(healthy.servingModelVersion, 'weather-v1');
    assert.equal(healthy.desiredModelVersion, 'weather-v1');
    assert.deepEqual(healthy.revisions, [{ name: revision, modelVersion: 'weather-v1', replicas: 1, readyReplicas: 1 }]);
    assert.equal(condition(healthy, 'Ready').status, 'True');
    assert.equal(healthy.url, `http://weather.${ns}.svc.cluster.local`);
    const front = await getJson(['get', 'service', 'weather']);
    assert.deepEqual(front.spec.selector, { 'modelops.dev/inferenceservice': 'weather', 'modelops.dev/revision': revision });
    await eventWith('weather', 'RevisionCreated', new RegExp(revision));
    await eventWith('weather', 'RevisionPromoted', new RegExp(`revision ${revision} \\(weather-v1\\) now serves`));

    const table = await kubectlOk(['get', 'misvc', 'weather'], { namespace: ns });
    assert.match(table, /^NAME\s+PHASE\s+SERVING\s+DESIRED\s+CANARY\s+WEIGHT\s+AGE\n/);
    assert.match(table, /\nweather\s+Healthy\s+weather-v1\s+weather-v1\s+\d+s\n/);
  });

  it('moves to a new version when its alias moves: the new revision serves only once ready, then the old one goes', async () => {
    const before = await isvcStatus('weather', 'Healthy', (s) => s.phase === 'Healthy');
    const old: string = before.servingRevision;
    await apply(version('weather-v2', ['production']));
    await mvReady('weather-v2', 'production');

    const progressing = await isvcStatus('weather', 'a new desired revision', (s) => s.desiredRevision && s.desiredRevision !== old);
    const next: string = progressing.desiredRevision;
    assert.equal(progressing.phase, 'Progressing');
    assert.equal(progressing.servingRevision, old, 'the old revision serves while the new one starts');
    assert.equal(progressing.canaryRevision.name, next);
    // Without a node the scheduler reports the Pods unschedulable: starting or blocked, never serving.
    assert.match(condition(progressing, 'Progressing').reason, /^(RevisionStarting|RevisionBlocked)$/);
    assert.deepEqual(await revisionsOf('weather'), [old, next].sort(), 'both run side by side');
    assert.equal((await getJson(['get', 'service', 'weather'])).spec.selector['modelops.dev/revision'], old);

    await markReady(next);
    const switched = await isvcStatus('weather', 'serving the new revision', (s) => s.servingRevision === next && s.phase === 'Healthy');
    assert.equal(switched.servingModelVersion, 'weather-v2');
    assert.equal(switched.canaryRevision, undefined);
    assert.equal((await getJson(['get', 'service', 'weather'])).spec.selector['modelops.dev/revision'], next);
    await waitFor('the old revision deleted', async () => (await revisionsOf('weather')).join() === next);
    await waitFor('the old revision\'s Service deleted', async () => (await kubectl(['get', 'service', old], { namespace: ns })).code !== 0);
    await eventWith('weather', 'RevisionRemoved', new RegExp(`revision ${old} \\(weather-v1\\)`));
  });

  it('keeps the old revision serving when the new one cannot start, and says why', async () => {
    const before = await isvcStatus('weather', 'Healthy', (s) => s.phase === 'Healthy');
    const serving: string = before.servingRevision;
    await apply(version('weather-v3', ['production']));
    await mvReady('weather-v3', 'production');
    const progressing = await isvcStatus('weather', 'a new desired revision', (s) => s.desiredRevision && s.desiredRevision !== serving);
    const bad: string = progressing.desiredRevision;
    const [pod] = await podsOf(bad);
    await patchPodStatus(pod.metadata.name, {
      containerStatuses: [{ name: 'server', image: SERVER_IMAGE, imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }],
    });

    const blocked = await isvcStatus('weather', 'Progressing=False naming the image pull', (s) => condition(s, 'Progressing')?.reason === 'RevisionBlocked' && /cannot be pulled/.test(condition(s, 'Progressing').message));
    assert.equal(condition(blocked, 'Progressing').status, 'False');
    assert.match(condition(blocked, 'Progressing').message, new RegExp(`revision ${bad} \\(weather-v3\\) cannot become ready: Pod ${pod.metadata.name}: image ${SERVER_IMAGE} cannot be pulled \\(ImagePullBackOff`));
    assert.match(condition(blocked, 'Progressing').message, new RegExp(`${serving} \\(weather-v2\\) keeps serving`));
    assert.equal(blocked.servingRevision, serving);
    assert.equal(blocked.desiredRevision, bad);
    assert.equal(blocked.phase, 'Progressing');
    assert.equal(condition(blocked, 'Ready').status, 'True', 'the service still answers');
    assert.equal((await getJson(['get', 'service', 'weather'])).spec.selector['modelops.dev/revision'], serving);

    // Moving the alias back to the serving version is the way out: the stuck revision goes.
    await kubectlOk(['patch', 'mv', 'weather-v2', '--type=merge', '-p', '{"spec":{"aliases":["production"]}}'], { namespace: ns });
    await isvcStatus('weather', 'back to one revision', (s) => s.desiredRevision === serving && s.phase === 'Healthy');
    await waitFor('the stuck revision deleted', async () => (await revisionsOf('weather')).join() === serving);
  });
});

describe('what cannot be served yet', () => {
  it('reports a model that does not exist as ModelResolved=False, with what to do, and runs nothing', async () => {
    await apply(inferenceService('ghost', { model: { modelVersion: 'ghost-v1' } }));
    const s = await isvcStatus('ghost', 'ModelResolved=False', (st) => condition(st, 'ModelResolved')?.status === 'False');
    assert.equal(condition(s, 'ModelResolved').reason, 'ModelNotFound');
    assert.match(condition(s, 'ModelResolved').message, /ModelVersion ghost-v1 not found in namespace .*; create it or fix spec.model.modelVersion/);
    assert.equal(s.phase, 'Pending');
    assert.equal(condition(s, 'Ready').reason, 'NoRevision');
    assert.deepEqual(await revisionsOf('ghost'), []);
    assert.deepEqual((await getJson(['get', 'service', 'ghost'])).spec.selector, { 'modelops.dev/inferenceservice': 'ghost' });

    // The ModelVersion arriving later is picked up by the ModelVersion watch.
    await apply(version('ghost-v1'));
    await isvcStatus('ghost', 'a desired revision', (st) => condition(st, 'ModelResolved')?.status === 'True' && !!st.desiredRevision);
  });
});

describe('a spec pointed at a model that does not exist', () => {
  it('changes nothing that serves, and is Degraded with ModelResolved=False until fixed', async () => {
    const before = await isvcStatus('weather', 'Healthy', (s) => s.phase === 'Healthy');
    await kubectlOk(['patch', 'misvc', 'weather', '--type=merge', '-p', '{"spec":{"model":{"name":null,"alias":null,"modelVersion":"weather-v9"}}}'], { namespace: ns });
    const s = await isvcStatus('weather', 'ModelResolved=False', (st) => condition(st, 'ModelResolved')?.status === 'False');
    assert.equal(condition(s, 'ModelResolved').reason, 'ModelNotFound');
    assert.equal(s.phase, 'Degraded');
    assert.equal(condition(s, 'Ready').status, 'False');
    assert.match(condition(s, 'Ready').message, new RegExp(`ModelVersion weather-v9 not found .*; revision ${before.servingRevision} \\(weather-v2\\) keeps serving`));
    assert.equal(s.servingRevision, before.servingRevision);
    assert.deepEqual(await revisionsOf('weather'), [before.servingRevision]);
    assert.equal((await getJson(['get', 'service', 'weather'])).spec.selector['modelops.dev/revision'], before.servingRevision);

    await kubectlOk(['patch', 'misvc', 'weather', '--type=merge', '-p', '{"spec":{"model":{"modelVersion":null,"name":"weather","alias":"production"}}}'], { namespace: ns });
    await isvcStatus('weather', 'Healthy again', (st) => st.phase === 'Healthy' && st.servingRevision === before.servingRevision);
  });
});

describe('autoscaling', () => {
  it('gives the revision an HPA and leaves its replicas to it; removing autoscaling removes the HPA', async () => {
    await apply(version('scaled-v1'));
    await mvReady('scaled-v1');
    await apply(inferenceService('scaled', { model: { modelVersion: 'scaled-v1' }, autoscaling: { minReplicas: 1, maxReplicas: 3, targetCPUUtilization: 60 } }));
    const s = await isvcStatus('scaled', 'a desired revision', (st) => !!st.desiredRevision);
    const hpa = await waitFor('the HPA', () => getJson(['get', 'hpa', s.desiredRevision]));
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: s.desiredRevision });
    assert.equal(hpa.spec.maxReplicas, 3);
    assert.equal(hpa.spec.metrics[0].resource.target.averageUtilization, 60);

    await kubectlOk(['patch', 'misvc', 'scaled', '--type=json', '-p', '[{"op":"remove","path":"/spec/autoscaling"},{"op":"add","path":"/spec/replicas","value":2}]'], { namespace: ns });
    await waitFor('the HPA removed', async () => (await kubectl(['get', 'hpa', s.desiredRevision], { namespace: ns })).code !== 0);
    const after = await isvcStatus('scaled', 'same revision, 2 replicas', (st) => st.desiredRevision === s.desiredRevision && st.revisions?.[0]?.replicas === 2);
    assert.equal(after.desiredRevision, s.desiredRevision, 'scaling is not a new revision');
  });
});

describe('drift', () => {
  it('puts back a revision Deployment edited by hand, and removes a revision Service left without its Deployment', async () => {
    const { desiredRevision: revision } = await isvcStatus('scaled', 'a desired revision', (st) => !!st.desiredRevision);
    await kubectlOk(['set', 'image', `deployment/${revision}`, 'server=example.com/other:1'], { namespace: ns });
    await waitFor('the image put back', async () => (await getJson(['get', 'deployment', revision])).spec.template.spec.containers[0].image === SERVER_IMAGE);

    const stray = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'scaled-0000000000', labels: { 'app.kubernetes.io/managed-by': 'modelops', 'app.kubernetes.io/name': 'modelops-server', 'modelops.dev/inferenceservice': 'scaled', 'modelops.dev/revision': 'scaled-0000000000' } }, spec: { ports: [{ port: 80 }] } };
    const owner = await getJson(['get', 'misvc', 'scaled']);
    await apply({ ...stray, metadata: { ...stray.metadata, ownerReferences: [{ apiVersion: 'modelops.dev/v1alpha1', kind: 'InferenceService', name: 'scaled', uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true }] } });
    await kubectlOk(['annotate', 'misvc', 'scaled', `nudge=${Date.now()}`], { namespace: ns });
    await waitFor('the orphaned revision Service removed', async () => (await kubectl(['get', 'service', 'scaled-0000000000'], { namespace: ns })).code !== 0);
    assert.deepEqual(await revisionsOf('scaled'), [revision]);
  });
});
