// Progressive delivery on the real control plane, judged by a real Prometheus scraping real
// model servers. The operator runs under the chart's RBAC with --prometheus-url; the Gateway API
// CRDs are installed and the operator writes an HTTPRoute; test/support/rollout.ts runs each
// revision's server (runtime-images/server with a real ONNX model), keeps Prometheus's targets
// and the Pods' readiness in step, and sends real prediction requests in the route's weights.
// Stories: a good version is promoted step by step, and an operator killed mid-rollout resumes
// at the same step; a version that fails on real inputs is rolled back, and the time from its
// first failed request to all traffic on stable is measured; a canary without data pauses, a
// person promotes it, then aborts it; the Service provider sizes the canary by replica ratio;
// Shadow holds while its Gateway's class lists its features without RequestMirror.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyObjects, getJsonIn, kubectl, kubectlOk, suiteNamespace } from '../support/cluster.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.ts';
import { installChartRbac, serviceAccountKubeconfig } from '../support/rbac.ts';
import { fixtureRequest, fixtureVersion, generateLoad, runRevisions, type LoadGenerator, type RevisionRunner } from '../support/rollout.ts';
import { waitFor } from '../support/wait.ts';

const SERVER_IMAGE = 'localhost/modelops/server:test';

let opNs: string;
let ns: string;
let kubeconfig: string;
let operatorAccount: string;
let op: OperatorProcess | undefined;
let prom: PrometheusServer;
let runner: RevisionRunner;
const loads: LoadGenerator[] = [];

const apply = (...objects: object[]) => applyObjects(ns, ...objects);

const getJson = (args: string[]) => getJsonIn(ns, args);

function inferenceService(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'modelops.dev/v1alpha1', kind: 'InferenceService', metadata: { name }, spec };
}

async function isvcStatus(name: string, what: string, ok: (s: any) => boolean, timeoutMs = 60_000): Promise<any> {
  let last: any;
  try {
    return await waitFor(`InferenceService ${name}: ${what}`, async () => {
      const o = await getJson(['get', 'misvc', name]);
      last = o?.status;
      return o?.status && o.status.observedGeneration === o.metadata.generation && ok(o.status) ? o.status : undefined;
    }, timeoutMs, 100);
  } catch (err) {
    // Say where it stood: the phase, the rollout's own account and the newest measurements.
    const progressing = last?.conditions?.find((c: any) => c.type === 'Progressing');
    throw new Error(`${(err as Error).message}\n  phase ${last?.phase}, step ${last?.currentStep}: ${progressing?.message}\n  analysis: ${JSON.stringify((last?.analysis ?? []).slice(0, 4).map((m: any) => m.message))}`);
  }
}

async function route(name: string): Promise<Record<string, number>> {
  const r = await getJson(['get', 'httproutes.gateway.networking.k8s.io', name]);
  const out: Record<string, number> = {};
  for (const rule of r?.spec?.rules ?? []) for (const b of rule.backendRefs) out[b.name] = b.weight;
  return out;
}

async function events(name: string): Promise<any[]> {
  return (await getJson(['get', 'events.events.k8s.io', '--field-selector', `regarding.name=${name}`])).items;
}

async function revisions(isvc: string): Promise<string[]> {
  const list = await getJson(['get', 'deployments', '-l', `modelops.dev/inferenceservice=${isvc}`]);
  return list.items.filter((d: any) => !d.metadata.deletionTimestamp).map((d: any) => d.metadata.name).sort();
}

async function operator(): Promise<OperatorProcess> {
  return startOperator({
    kubeconfig,
    args: [`--namespaces=${ns}`, '--workers=4', `--server-image=${SERVER_IMAGE}`, `--prometheus-url=${prom.url}`],
    env: { POD_NAMESPACE: opNs },
  });
}

/**
 * Fast analysis for tests: Prometheus scrapes every second. A 4s window on a busy two-core CI
 * machine sometimes holds fewer than two scrapes of a new revision, so a few measurements
 * without data are allowed before the rollout holds for a person.
 */
const ANALYSIS = { interval: '2s', window: '4s', failureLimit: 0, inconclusiveLimit: 4, maxLatencyRatio: 0 };
/** Shadow compares distributions: a window that holds 100+ predictions a side even on a busy machine. */
const SHADOW_ANALYSIS = { ...ANALYSIS, window: '10s', inconclusiveLimit: 10 };
const GATEWAY = { provider: 'GatewayAPI', gateway: { parentRefs: [{ name: 'edge' }], hostnames: ['weather.example'] } };

before(async () => {
  opNs = await suiteNamespace('rollout-op', { restricted: false });
  ns = await suiteNamespace('rollout-work', { restricted: false });
  const { serviceAccount } = await installChartRbac(opNs, { watchNamespaces: [ns] });
  operatorAccount = serviceAccount;
  kubeconfig = await serviceAccountKubeconfig(opNs, serviceAccount);
  prom = await startPrometheus([], { fileTargets: true });
  runner = runRevisions(ns, prom);
  op = await operator();
});

after(async () => {
  for (const l of loads) await l.stop();
  await runner?.stop();
  if (op && op.child.exitCode === null) await op.kill();
  await prom?.stop();
  const retried = op?.logs(/reconcile failed/) ?? [];
  process.stderr.write(`# operator: ${retried.length} reconciles retried${retried.length ? `: ${JSON.stringify(retried.slice(0, 5).map((l) => String(l.err).slice(0, 200)))}` : ''}\n`);
  for (const n of [ns, opNs]) if (n) await kubectl(['delete', 'namespace', n, '--wait=false']);
});

/** Serves `first` under alias production with the GatewayAPI provider and starts load; resolves when it serves all traffic. */
async function serveFirst(isvc: string, spec: Record<string, unknown>, first: string): Promise<LoadGenerator> {
  await apply(await fixtureVersion(first, 'classifier', ['production']));
  await apply(inferenceService(isvc, { model: { name: isvc, alias: 'production' }, ...spec }));
  const s = await isvcStatus(isvc, `${first} serves`, (st) => st.phase === 'Healthy' && st.servingModelVersion === first);
  const load = generateLoad(ns, isvc, runner, fixtureRequest(runner, isvc));
  loads.push(load);
  await waitFor('load on the stable revision', () => load.samples.some((x) => x.revision === s.servingRevision && x.status === 200));
  return load;
}

describe('canary rollout through an HTTPRoute, judged by Prometheus', { timeout: 300_000 }, () => {
  it('promotes a good version step by step, and resumes at the same step after the operator is killed', async () => {
    const steps = [{ weight: 25, pause: { duration: '4s' } }, { weight: 50, pause: { duration: '6s' } }];
    const load = await serveFirst('sunny', { rollout: { strategy: 'Canary', canary: { steps }, analysis: ANALYSIS }, traffic: GATEWAY }, 'sunny-v1');
    const stable = (await isvcStatus('sunny', 'stable', (s) => s.servingRevision)).servingRevision as string;
    assert.deepEqual(await route('sunny'), { [stable]: 100 });

    await apply(await fixtureVersion('sunny-v2', 'classifier', ['production']));
    const s1 = await isvcStatus('sunny', 'step 1 at 25%', (s) => s.currentStep === 0 && s.canaryWeight === 25 && s.phase === 'Progressing');
    const canary = s1.canaryRevision.name as string;
    assert.deepEqual(await route('sunny'), { [stable]: 75, [canary]: 25 });

    const s2 = await isvcStatus('sunny', 'step 2 at 50%', (s) => s.currentStep === 1 && s.canaryWeight === 50);
    // Killed mid-step: a new operator takes up the same step, started at the same time.
    await op!.kill();
    op = await operator();
    const resumed = await isvcStatus('sunny', 'resumed', (s) => s.canaryRevision?.name === canary);
    if (resumed.currentStep === 1) assert.equal(resumed.stepStartTime, s2.stepStartTime, 'the step restarted after the operator restart');

    const done = await isvcStatus('sunny', 'v2 promoted', (s) => s.phase === 'Healthy' && s.servingModelVersion === 'sunny-v2');
    assert.equal(done.canaryRevision, undefined);
    assert.equal(done.canaryWeight, undefined);
    assert.deepEqual(await route('sunny'), { [canary]: 100 });
    await waitFor('the old revision removed', async () => (await revisions('sunny')).join() === canary);

    // Every step was measured and passed (a first measurement may find too few scrapes of the
    // new series: Inconclusive, within the limit); the measurements carry the query and the message.
    const ms = done.analysis.filter((m: any) => m.revision === canary);
    for (const step of [0, 1]) assert.ok(ms.some((m: any) => m.step === step && m.result === 'Successful'), `no Successful measurement at step ${step}: ${JSON.stringify(ms)}`);
    assert.ok(ms.every((m: any) => m.result === 'Successful' || m.result === 'Inconclusive'), JSON.stringify(ms.filter((m: any) => m.result !== 'Successful')));
    assert.ok(ms.every((m: any) => m.query && m.message));
    // The route's weights moved 100 → 75/25 → 50/50 → the canary only, and real requests followed them.
    const seen = load.changes.map((c) => c.weights[canary] ?? 0);
    assert.deepEqual([...new Set(seen)], [0, 25, 50, 100]);
    const onCanary = load.samples.filter((x) => x.revision === canary);
    assert.ok(onCanary.length > 20 && onCanary.every((x) => x.status === 200), `${onCanary.length} canary requests`);
    const reasons = (await events('sunny')).map((e) => e.reason);
    assert.ok(reasons.includes('RolloutStepped') && reasons.includes('RevisionPromoted'), reasons.join());
  });

  it('rolls back a version that fails on real inputs, soon after its first failed request', async () => {
    const steps = [{ weight: 30, pause: { duration: '30s' } }, { weight: 60 }];
    const load = await serveFirst('stormy', { rollout: { strategy: 'Canary', canary: { steps }, analysis: ANALYSIS }, traffic: GATEWAY }, 'stormy-v1');
    const stable = (await isvcStatus('stormy', 'stable', (s) => s.servingRevision)).servingRevision as string;
    await apply(await fixtureVersion('stormy-v2', 'failing', ['production']));
    const canary = (await isvcStatus('stormy', 'canary started', (s) => s.canaryRevision?.name)).canaryRevision.name as string;

    const back = await isvcStatus('stormy', 'rolled back', (s) => s.phase === 'RolledBack');
    const firstBad = load.samples.find((x) => x.revision === canary && x.status >= 500);
    assert.ok(firstBad, 'the canary answered no request with an error');
    const restored = await waitFor('the route back on stable', () => load.changes.find((c) => c.time > firstBad.time && !c.weights[canary] && c.weights[stable]));
    const seconds = (restored.time - firstBad.time) / 1000;
    // Reported, not asserted: the goal is measured by bench/rollout/bench.ts (docs/performance.md).
    process.stderr.write(`# rollback: ${seconds.toFixed(2)} s from the first failed request to all traffic on stable (goal with these settings: ${(1.2 * (1 + 2) + 5).toFixed(1)} s)\n`);

    assert.equal(back.abortedRevision, canary);
    assert.equal(back.abortedModelVersion, 'stormy-v2');
    assert.equal(back.servingRevision, stable);
    assert.equal(back.desiredRevision, canary, 'GitOps sees the spec is not what serves');
    const ready = back.conditions.find((c: any) => c.type === 'Ready');
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'RolledBack');
    const failed = back.analysis.find((m: any) => m.result === 'Failed');
    assert.equal(failed.metric, 'error-rate');
    assert.match(failed.message, /error-rate: .* is above the maximum 0.01/);
    await waitFor('the canary revision deleted', async () => (await revisions('stormy')).join() === stable);
    // It stays rolled back: nothing is started again.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual(await revisions('stormy'), [stable]);
    assert.deepEqual(await route('stormy'), { [stable]: 100 });
    const reasons = (await events('stormy')).map((e) => e.reason);
    assert.ok(reasons.includes('AnalysisFailed'), reasons.join());
  });

  it('pauses a canary that gets no data, goes on when promoted by annotation, and rolls back when aborted', async () => {
    // Weight 0: the canary gets no requests, so its checks have no data; noData Pause holds it.
    const steps = [{ weight: 0, pause: { duration: '1s' } }, { weight: 40, pause: {} }, { weight: 80 }];
    await serveFirst('foggy', { rollout: { strategy: 'Canary', canary: { steps }, analysis: { ...ANALYSIS, noData: 'Pause' } }, traffic: GATEWAY }, 'foggy-v1');
    await apply(await fixtureVersion('foggy-v2', 'classifier', ['production']));
    const paused = await isvcStatus('foggy', 'paused for lack of data', (s) => s.phase === 'Paused' && s.currentStep === 0);
    assert.match(paused.conditions.find((c: any) => c.type === 'Progressing').message, /analysis is inconclusive: .* had no data .* noData is Pause; annotate modelops.dev\/promote to continue/);
    const canary = paused.canaryRevision.name as string;
    // The hold is recorded, so it outlives the measurements behind it in the bounded history.
    assert.deepEqual([paused.analysisHold?.revision, paused.analysisHold?.step, paused.analysisHold?.reason], [canary, 0, 'AnalysisNoData']);

    await kubectlOk(['annotate', '--overwrite', 'misvc', 'foggy', `modelops.dev/promote=${Date.now()}`], { namespace: ns });
    const step2 = await isvcStatus('foggy', 'step 2, waiting to be promoted', (s) => s.currentStep === 1 && s.phase === 'Paused');
    assert.match(step2.conditions.find((c: any) => c.type === 'Progressing').message, /waits to be promoted/);
    assert.equal((await route('foggy'))[canary], 40);
    assert.equal(step2.analysisHold, undefined, 'promote ends the hold');

    await kubectlOk(['annotate', '--overwrite', 'misvc', 'foggy', `modelops.dev/abort=${Date.now()}`], { namespace: ns });
    const back = await isvcStatus('foggy', 'aborted', (s) => s.phase === 'RolledBack');
    assert.equal(back.abortedRevision, canary);
    assert.match(back.conditions.find((c: any) => c.type === 'Progressing').message, /aborted by the modelops.dev\/abort annotation/);
    assert.equal((await route('foggy'))[canary], undefined);
    const spec = (await getJson(['get', 'misvc', 'foggy'])).spec;
    assert.equal(spec.rollout.paused, false, 'the user\'s spec is left as written (the schema default only)');
    const reasons = (await events('foggy')).map((e) => e.reason);
    for (const r of ['RolloutPaused', 'RolloutResumed', 'ManualAction', 'RolledBack']) assert.ok(reasons.includes(r), `no ${r} event: ${reasons.join()}`);
  });
});

/** Requests straight to one revision's server (what a smoke test of the preview Service does), 20 a second; returns stop(). */
function previewTraffic(isvc: string, revision: string): () => void {
  const request = fixtureRequest(runner, isvc);
  const timer = setInterval(() => {
    const address = runner.address(revision);
    if (!address) return;
    const { model, body } = request(revision);
    void fetch(`http://${address}/v2/models/${model}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then((r) => r.arrayBuffer())
      .catch(() => undefined);
  }, 50);
  return () => clearInterval(timer);
}

describe('blue-green rollout through an HTTPRoute', { timeout: 180_000 }, () => {
  it('analyses the preview, switches all traffic at once, keeps the old revision warm, and switches back at once on abort', async () => {
    const spec = { rollout: { strategy: 'BlueGreen', blueGreen: { scaleDownDelay: '2m' }, analysis: ANALYSIS }, traffic: GATEWAY };
    const load = await serveFirst('breezy', spec, 'breezy-v1');
    const blue = (await isvcStatus('breezy', 'blue', (s) => s.servingRevision)).servingRevision as string;
    await apply(await fixtureVersion('breezy-v2', 'classifier', ['production']));
    const green = (await isvcStatus('breezy', 'green created', (s) => s.canaryRevision?.name)).canaryRevision.name as string;
    // The smoke test starts as soon as green's server answers: analysis begins when the preview
    // is ready, and measurements with no traffic yet would count as inconclusive.
    const stopPreview = previewTraffic('breezy', green);
    try {
      const previewing = await isvcStatus('breezy', 'preview ready', (s) => s.canaryRevision?.name === green && s.previewUrl);
      assert.equal(previewing.previewUrl, `http://breezy-preview.${ns}.svc.cluster.local`);
      assert.equal((await getJson(['get', 'service', 'breezy-preview'])).spec.selector['modelops.dev/revision'], green);
      assert.deepEqual(await route('breezy'), { [blue]: 100 }, 'no user traffic on the preview');
      const switched = await isvcStatus('breezy', 'switched to green', (s) => s.servingRevision === green && s.phase === 'Healthy');
      assert.deepEqual(await route('breezy'), { [green]: 100 });
      assert.ok(switched.analysis.some((m: any) => m.revision === green && m.result === 'Successful'));
      assert.match(switched.conditions.find((c: any) => c.type === 'Progressing').message, /is kept warm for \d+s/);
      const old = await getJson(['get', 'deployment', blue]);
      assert.ok(Date.parse(old.metadata.annotations['modelops.dev/scale-down-at']) > Date.now(), 'blue is kept warm');
      assert.deepEqual(await revisions('breezy'), [blue, green].sort());
    } finally {
      stopPreview();
    }

    const asked = Date.now();
    await kubectlOk(['annotate', '--overwrite', 'misvc', 'breezy', `modelops.dev/abort=${asked}`], { namespace: ns });
    const back = await waitFor('the route back on blue', () => load.changes.find((c) => c.time > asked && c.weights[blue] === 100));
    process.stderr.write(`# blue-green instant rollback: ${((back.time - asked) / 1000).toFixed(2)} s from the annotation to all traffic on the warm revision\n`);
    const rolled = await isvcStatus('breezy', 'rolled back', (s) => s.phase === 'RolledBack');
    assert.equal(rolled.servingRevision, blue);
    assert.equal(rolled.abortedRevision, green);
    await waitFor('green deleted', async () => (await revisions('breezy')).join() === blue);
  });

  it('deletes the previous revision after scaleDownDelay', async () => {
    const spec = { rollout: { strategy: 'BlueGreen', blueGreen: { scaleDownDelay: '3s' }, analysis: { ...ANALYSIS, noData: 'Pass' } }, traffic: GATEWAY };
    await serveFirst('calm', spec, 'calm-v1');
    await apply(await fixtureVersion('calm-v2', 'classifier', ['production']));
    const done = await isvcStatus('calm', 'switched', (s) => s.servingModelVersion === 'calm-v2' && s.phase === 'Healthy');
    await waitFor('only the new revision left', async () => (await revisions('calm')).join() === done.servingRevision, 30_000);
  });
});

describe('shadow rollout: mirrored requests, compared with stable', { timeout: 180_000 }, () => {
  it('promotes a candidate whose errors, latency and predictions match stable\'s, with no user request answered by it', async () => {
    const spec = { rollout: { strategy: 'Shadow', shadow: { duration: '8s', promote: true }, analysis: SHADOW_ANALYSIS }, traffic: GATEWAY };
    const load = await serveFirst('hazy', spec, 'hazy-v1');
    const stable = (await isvcStatus('hazy', 'stable', (s) => s.servingRevision)).servingRevision as string;
    await apply(await fixtureVersion('hazy-v2', 'classifier', ['production']));
    const shadowing = await isvcStatus('hazy', 'mirroring', (s) => s.canaryRevision?.name && s.currentStep === 0);
    const candidate = shadowing.canaryRevision.name as string;
    const r = await getJson(['get', 'httproutes.gateway.networking.k8s.io', 'hazy']);
    assert.deepEqual(r.spec.rules[0].filters, [{ type: 'RequestMirror', requestMirror: { backendRef: { group: '', kind: 'Service', name: candidate, port: 80 }, percent: 100 } }]);
    const done = await isvcStatus('hazy', 'candidate promoted', (s) => s.servingRevision === candidate && s.phase === 'Healthy');
    const shifts = done.analysis.filter((m: any) => m.metric === 'prediction-shift' && m.revision === candidate);
    assert.ok(shifts.some((m: any) => m.result === 'Successful'), JSON.stringify(shifts));
    assert.ok(load.mirrored() > 20, `${load.mirrored()} mirrored requests`);
    const beforeSwitch = load.samples.filter((x) => x.time < Date.parse(done.conditions.find((c: any) => c.type === 'Progressing').lastTransitionTime));
    assert.ok(beforeSwitch.every((x) => x.revision === stable), 'a user request was answered by the shadow before the switch');
  });

  it('drops a candidate whose predictions differ from stable\'s, which no user ever saw', async () => {
    const spec = { rollout: { strategy: 'Shadow', shadow: { duration: '1m', maxPredictionShift: 0.1, promote: true }, analysis: SHADOW_ANALYSIS }, traffic: GATEWAY };
    const load = await serveFirst('murky', spec, 'murky-v1');
    const stable = (await isvcStatus('murky', 'stable', (s) => s.servingRevision)).servingRevision as string;
    await apply(await fixtureVersion('murky-v2', 'classifier-shifted', ['production']));
    const dropped = await isvcStatus('murky', 'dropped', (s) => s.phase === 'RolledBack');
    const failed = dropped.analysis.find((m: any) => m.result === 'Failed');
    assert.equal(failed.metric, 'prediction-shift', JSON.stringify(dropped.analysis.slice(0, 6)));
    assert.match(failed.message, /prediction-shift: .* is above the maximum 0.1/);
    assert.match(dropped.conditions.find((c: any) => c.type === 'Progressing').message, /the shadow comparison failed \(no user saw its answers\)/);
    assert.ok(load.samples.every((x) => x.revision === stable), 'a user request was answered by the shadow');
    assert.deepEqual(await route('murky'), { [stable]: 100 });
    await waitFor('the candidate deleted', async () => (await revisions('murky')).join() === stable);
  });

  it('holds, mirroring nothing, while its Gateway\'s class lists its features without RequestMirror, and mirrors once the class lists it', async () => {
    // A Gateway whose implementation publishes its features as Traefik 3.7.13 does (gateway.test.ts
    // reads Traefik's own list): the status is written here, as that controller would.
    const className = `no-mirror-${ns}`;
    const features = (names: string[]) => JSON.stringify({ status: { supportedFeatures: names.map((name) => ({ name })) } });
    await apply(
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: className }, spec: { controllerName: 'example.com/no-mirror' } },
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'plain' }, spec: { gatewayClassName: className, listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } },
    );
    await kubectlOk(['patch', 'gatewayclasses.gateway.networking.k8s.io', className, '--subresource=status', '--type=merge', '-p', features(['Gateway', 'HTTPRoute', 'HTTPRouteHostRewrite'])]);
    // The chart's namespaced Roles cannot grant a cluster-scoped kind: the grant docs/helm.md asks of a platform team.
    await kubectlOk(['create', 'clusterrole', className, '--verb=get', '--resource=gatewayclasses.gateway.networking.k8s.io']);
    await kubectlOk(['create', 'clusterrolebinding', className, `--clusterrole=${className}`, `--serviceaccount=${opNs}:${operatorAccount}`]);
    try {
      const spec = { rollout: { strategy: 'Shadow', shadow: { duration: '4s', promote: true }, analysis: SHADOW_ANALYSIS }, traffic: { provider: 'GatewayAPI', gateway: { parentRefs: [{ name: 'plain' }] } } };
      const load = await serveFirst('foggy', spec, 'foggy-v1');
      const stable = (await isvcStatus('foggy', 'stable', (s) => s.servingRevision)).servingRevision as string;
      await apply(await fixtureVersion('foggy-v2', 'classifier', ['production']));
      const held = await isvcStatus('foggy', 'held for its Gateway', (s) => s.conditions?.some((c: any) => c.type === 'Progressing' && c.reason === 'MirrorUnsupported'));
      const progressing = held.conditions.find((c: any) => c.type === 'Progressing');
      assert.equal(held.phase, 'Paused');
      assert.match(progressing.message, new RegExp(`^Gateway ${ns}/plain \\(class ${className}, controller example.com/no-mirror\\) does not list HTTPRouteRequestMirror .*; nothing is mirrored and revision ${stable} \\(foggy-v1\\) keeps serving`));
      const r = await getJson(['get', 'httproutes.gateway.networking.k8s.io', 'foggy']);
      assert.equal(r.spec.rules[0].filters, undefined, 'no RequestMirror filter on the route');
      assert.deepEqual(await route('foggy'), { [stable]: 100 });
      assert.equal(load.mirrored(), 0);
      const candidates = (await revisions('foggy')).filter((n) => n !== stable);
      assert.equal(candidates.length, 1, 'the candidate is kept, waiting');

      // The implementation learns to mirror: the rollout goes on at the next look (any change to the InferenceService, or a minute).
      await kubectlOk(['patch', 'gatewayclasses.gateway.networking.k8s.io', className, '--subresource=status', '--type=merge', '-p', features(['Gateway', 'HTTPRoute', 'HTTPRouteHostRewrite', 'HTTPRouteRequestMirror'])]);
      await kubectlOk(['annotate', 'misvc', 'foggy', 'example.com/nudge=1'], { namespace: ns });
      await isvcStatus('foggy', 'mirroring', (s) => s.conditions?.some((c: any) => c.type === 'Progressing' && c.reason !== 'MirrorUnsupported') && s.phase !== 'Paused');
      const mirrored = await getJson(['get', 'httproutes.gateway.networking.k8s.io', 'foggy']);
      assert.deepEqual(mirrored.spec.rules[0].filters, [{ type: 'RequestMirror', requestMirror: { backendRef: { group: '', kind: 'Service', name: candidates[0], port: 80 }, percent: 100 } }]);
      await isvcStatus('foggy', 'candidate promoted', (s) => s.servingRevision === candidates[0] && s.phase === 'Healthy');
    } finally {
      await kubectl(['delete', 'clusterrolebinding,clusterrole', className]);
      await kubectl(['delete', 'gatewayclasses.gateway.networking.k8s.io', className]);
    }
  });
});

describe('canary rollout with the Service provider', { timeout: 120_000 }, () => {
  it('shares the front Service between the revisions and sizes the canary by replica ratio', async () => {
    const steps = [{ weight: 50, pause: { duration: '3s' } }];
    await apply(await fixtureVersion('mild-v1', 'classifier', ['production']));
    // No gateway and no kube-proxy here, so no requests reach the Pods: this story checks the
    // sizing and the selector, and analysis counts the missing data as passing (noData Pass).
    await apply(inferenceService('mild', { model: { name: 'mild', alias: 'production' }, replicas: 2, rollout: { strategy: 'Canary', canary: { steps }, analysis: { ...ANALYSIS, noData: 'Pass' } } }));
    const first = await isvcStatus('mild', 'v1 serves', (s) => s.phase === 'Healthy');
    await apply(await fixtureVersion('mild-v2', 'classifier', ['production']));
    const step = await isvcStatus('mild', 'canary at 50%', (s) => s.canaryWeight === 50 && s.phase === 'Progressing');
    const canary = step.canaryRevision.name as string;
    const svc = await getJson(['get', 'service', 'mild']);
    assert.equal(svc.spec.selector['modelops.dev/revision'], undefined, 'the front Service selects both revisions');
    assert.equal(svc.metadata.annotations['modelops.dev/stable-revision'], first.servingRevision);
    assert.equal((await getJson(['get', 'deployment', canary])).spec.replicas, 2, '50% beside 2 stable Pods');
    const done = await isvcStatus('mild', 'v2 promoted', (s) => s.phase === 'Healthy' && s.servingModelVersion === 'mild-v2');
    assert.equal(done.servingRevision, canary);
    const after = await getJson(['get', 'service', 'mild']);
    assert.equal(after.spec.selector['modelops.dev/revision'], canary);
  });
});
