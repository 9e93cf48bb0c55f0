// Stories: progressive delivery and failures on a real node. The chart installs the operator
// in a Pod with the cluster's Prometheus (Kubernetes discovery of the server Pods) as its
// evidence; every revision is the server image in real Pods loading a real ONNX model from a
// real S3 server; traffic is real requests from this machine through the Service's ClusterIP,
// each on its own connection, so kube-proxy splits it by ready Pods as it would for many
// clients (the Service provider). Given a model serving, when
//   - one of its Pods' container is killed on the node, then the other Pod keeps answering and
//     the kubelet brings it back;
//   - a version that fails on every real input is rolled out, then Prometheus's error rate
//     rolls it back and users get the stable version again;
//   - the operator is killed in the middle of a canary, then its restarted container resumes
//     the same step and a person's promote finishes it;
//   - a version is rolled out blue-green, then the preview Service serves it alone until the
//     switch moves all users to it at once;
//   - the InferenceService moves to the Gateway API provider behind Traefik on the node and a
//     canary takes 20 %, then the gateway sends users exactly that share (skipped, saying so,
//     when Traefik is not built: `make gateway`).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { dump } from 'js-yaml';
import { kubectl, kubectlOk } from '../test/support/cluster.ts';
import { REPO_ROOT, traefikMissing } from '../test/support/control-plane.ts';
import { fixtureVersion, seattleDays } from '../test/support/rollout.ts';
import type { Fixture } from '../test/support/rollout.ts';
import { startS3 } from '../test/support/s3.ts';
import type { S3Server } from '../test/support/s3.ts';
import { waitFor } from '../test/support/wait.ts';
import { installModelops, killContainer, loadProjectImage, sendLoad, startCluster, startClusterGateway, startClusterPrometheus, tally } from './support.ts';
import type { Answer, Cluster, ClusterLoad } from './support.ts';

/** The node's bridge address (hack/node.sh): Pods reach host services there. */
const HOST_FROM_PODS = '10.244.0.1';
const MODELS = join(REPO_ROOT, 'runtime-images/server/test/fixtures/models');
const NS = 'serving';
const ISVC = 'weather';

let cluster: Cluster;
let s3: S3Server;
let kc: { kubeconfig: string };
let load: ClusterLoad | undefined;

async function getJson(args: string[]): Promise<any> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json'], kc));
}

/** A ModelVersion of a server fixture model (fixtureVersion), its files uploaded to the store and its artifact there. */
async function storedVersion(version: number, fixture: Fixture) {
  const prefix = `models/${fixture}`;
  for (const file of ['model.onnx', 'signature.json', 'profile.json']) {
    if (!existsSync(join(MODELS, fixture, file))) continue; // Not every fixture has a profile.
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${prefix}/${file}`, Body: readFileSync(join(MODELS, fixture, file)) }));
  }
  const mv = await fixtureVersion(`${ISVC}-v${version}`, fixture);
  return { ...mv, metadata: { ...mv.metadata, namespace: NS }, spec: { ...mv.spec, artifact: { ...mv.spec.artifact, uri: `s3://${s3.bucket}/${prefix}/model.onnx` } } };
}

/** Days of the Seattle sample as the fixture classifier's inputs, in turn. */
function dayRequests(): () => object {
  const days = seattleDays();
  let next = 0;
  return () => {
    const day = days[next++ % days.length]!;
    return {
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [1, 4], data: day.x },
        { name: 'month', datatype: 'INT64', shape: [1, 1], data: [day.month] },
      ],
    };
  };
}

async function isvcStatus(what: string, ok: (s: any) => boolean, timeoutMs = 180_000): Promise<any> {
  let last: any;
  try {
    return await waitFor(
      `InferenceService ${ISVC}: ${what}`,
      async () => {
        const o = await getJson(['get', 'misvc', ISVC, '-n', NS]);
        last = o.status;
        return o.status && o.status.observedGeneration === o.metadata.generation && ok(o.status) ? o.status : undefined;
      },
      timeoutMs,
      250,
    );
  } catch (err) {
    const progressing = last?.conditions?.find((c: any) => c.type === 'Progressing');
    const pods = await kubectl(['get', 'pods', '-n', NS, '-o', 'wide'], kc);
    throw new Error(
      `${(err as Error).message}\n  phase ${last?.phase}, step ${last?.currentStep}, weight ${last?.canaryWeight}: ${progressing?.message}\n` +
        `  analysis: ${JSON.stringify((last?.analysis ?? []).slice(0, 4).map((m: any) => m.message))}\n${pods.stdout}`,
    );
  }
}

async function patchIsvc(spec: object): Promise<void> {
  await kubectlOk(['patch', 'misvc', ISVC, '-n', NS, '--type', 'merge', '-p', JSON.stringify({ spec })], kc);
}

/** Pods of a revision that are not being deleted. */
async function revisionPods(revision: string): Promise<any[]> {
  return (await getJson(['get', 'pods', '-n', NS, '-l', `modelops.dev/revision=${revision}`])).items.filter((p: any) => !p.metadata.deletionTimestamp);
}

/** Waits until `n` answers to requests of `to` sent after now have come back and returns them. */
async function nextAnswersFrom(to: ClusterLoad, n: number): Promise<Answer[]> {
  const from = Date.now();
  return waitFor(`${n} answers`, () => {
    const got = to.since(from);
    return got.length >= n ? got.slice(0, n) : undefined;
  }, 60_000, 100);
}

/** The next `n` answers of the users' load through the ClusterIP. */
const nextAnswers = (n: number) => nextAnswersFrom(load!, n);

/** Fast analysis for a test: Prometheus scrapes every second; latency checks are left out on this shared 2-core machine. */
const ANALYSIS = { interval: '5s', window: '15s', failureLimit: 0, inconclusiveLimit: 6, noData: 'Inconclusive', maxErrorRate: 0.02, maxLatencyP99Ms: 0, maxLatencyRatio: 0 };

before(async () => {
  cluster = await startCluster();
  kc = { kubeconfig: cluster.kubeconfig };
  const promUrl = await startClusterPrometheus(cluster, '1s');
  await loadProjectImage(cluster, 'operator');
  await loadProjectImage(cluster, 'server');
  s3 = await startS3('e2e-models', HOST_FROM_PODS);
  await installModelops(cluster, s3, [NS], promUrl);

  // v1, v3, v4 and v5 good, v2 a bad release (fails on every real input).
  const versions = [
    await storedVersion(1, 'classifier'),
    await storedVersion(2, 'classifier-broken'),
    await storedVersion(3, 'classifier-shifted'),
    await storedVersion(4, 'classifier'),
    await storedVersion(5, 'classifier-shifted'),
  ];
  await kubectlOk(['apply', '-f', '-'], { ...kc, input: versions.map((v) => dump(v)).join('---\n') });
  for (const v of versions) {
    await waitFor(`${v.metadata.name} verified in the store`, async () => (await getJson(['get', 'mv', v.metadata.name, '-n', NS])).status?.phase === 'Ready', 60_000, 500);
  }

  const isvc = {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: ISVC, namespace: NS },
    spec: {
      model: { modelVersion: `${ISVC}-v1` },
      replicas: 2,
      resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      rollout: { strategy: 'Canary', canary: { steps: [{ weight: 50, pause: { duration: '20s' } }, { weight: 100 }] }, analysis: ANALYSIS },
      traffic: { provider: 'Service' },
    },
  };
  await kubectlOk(['apply', '-f', '-'], { ...kc, input: dump(isvc) });
  await isvcStatus('v1 serving', (s) => s.phase === 'Healthy' && s.servingModelVersion === `${ISVC}-v1`);
  const ip = (await kubectlOk(['get', 'service', ISVC, '-n', NS, '-o', 'jsonpath={.spec.clusterIP}'], kc)).trim();
  load = sendLoad(`http://${ip}/v2/models/${ISVC}/infer`, dayRequests(), 20);
  // kube-proxy programs the ClusterIP a moment after the Pods are ready.
  await waitFor('the ClusterIP answering', () => load!.answers.some((a) => a.status === 200), 60_000, 200);
});

after(async () => {
  await load?.stop();
  if (cluster) {
    const logs = await kubectl(['logs', '-n', 'modelops-system', 'deploy/modelops', '--tail=400'], kc);
    const errors = logs.stdout.split('\n').filter((l) => l.includes('"level":50'));
    if (errors.length) process.stderr.write(`# operator errors: ${errors.slice(0, 5).join('\n# ')}\n`);
  }
  await cluster?.stop();
  await s3?.stop();
});

describe('serving and rollouts on a real node', { timeout: 900_000 }, () => {
  it('given v1 serving on two Pods, when one Pod\'s container is killed on the node, then the other keeps answering and the kubelet restarts it', async (t) => {
    const status = await isvcStatus('v1 serving', (s) => s.phase === 'Healthy');
    const pods = await revisionPods(status.servingRevision);
    assert.equal(pods.length, 2);
    const victim = pods[0];
    const restarts = victim.status.containerStatuses[0].restartCount as number;

    const killedAt = Date.now();
    await killContainer(cluster, victim.status.containerStatuses[0].containerID);
    const back = await waitFor(
      `${victim.metadata.name} restarted by the kubelet and Ready again`,
      async () => {
        const p = await getJson(['get', 'pod', victim.metadata.name, '-n', NS]);
        const ready = p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
        return p.status.containerStatuses[0].restartCount > restarts && ready ? p : undefined;
      },
      120_000,
      250,
    );
    const recovered = Date.now();
    const during = load!.answers.filter((a) => a.time >= killedAt && a.time <= recovered);
    t.diagnostic(`killed ${victim.metadata.name}; Ready again after ${((recovered - killedAt) / 1000).toFixed(1)} s (restartCount ${back.status.containerStatuses[0].restartCount}); answers meanwhile: ${tally(during)}`);
    // The killed Pod answered nothing while it was down, but the other one did: in every second
    // of the outage some users were served (at 20 requests a second, half of them reaching the
    // dead Pod until its endpoint goes, a second without an answer would be no accident).
    const seconds = new Map<number, { sent: number; ok: number }>();
    for (const a of during) {
      const second = Math.floor((a.time - killedAt) / 1000);
      const s = seconds.get(second) ?? { sent: 0, ok: 0 };
      seconds.set(second, { sent: s.sent + 1, ok: s.ok + (a.status === 200 ? 1 : 0) });
    }
    // (The last second is cut short by the recovery: only full ones count.)
    const dark = [...seconds].filter(([, s]) => s.sent >= 10 && s.ok === 0).map(([second]) => second);
    assert.deepEqual(dark, [], `seconds after the kill without a single answer: ${dark.join()} (${tally(during)})`);
    // Connections that were open on the killed process fail; new ones go to the live Pod once
    // the endpoint is dropped. Afterwards, every answer is good.
    const afterwards = await nextAnswers(40);
    assert.ok(afterwards.every((a) => a.status === 200 && a.version === '1'), tally(afterwards));
    const s = await isvcStatus('v1 serving on 2 ready Pods', (st) => st.phase === 'Healthy' && st.stableRevision?.readyReplicas === 2);
    assert.equal(s.servingModelVersion, `${ISVC}-v1`);
  });

  it('given v1 serving, when v2 fails on every real input, then the canary is rolled back on Prometheus evidence and users get v1 again', async (t) => {
    const started = Date.now();
    await patchIsvc({ model: { modelVersion: `${ISVC}-v2` } });
    const canary = await isvcStatus('v2 taking traffic', (s) => s.canaryRevision?.modelVersion === `${ISVC}-v2` && s.canaryRevision.readyReplicas > 0);
    const s = await isvcStatus('v2 rolled back', (st) => st.phase === 'RolledBack');
    const rolledBack = Date.now();
    assert.equal(s.abortedModelVersion, `${ISVC}-v2`);
    assert.equal(s.abortedRevision, canary.canaryRevision.name);
    assert.equal(s.servingModelVersion, `${ISVC}-v1`);
    assert.equal(s.canaryRevision, undefined);
    const ready = s.conditions.find((c: any) => c.type === 'Ready');
    assert.deepEqual([ready.status, ready.reason], ['False', 'RolledBack']);
    const failed = s.analysis.find((m: any) => m.revision === canary.canaryRevision.name && m.result === 'Failed');
    assert.ok(failed, `a failed measurement of v2: ${JSON.stringify(s.analysis.slice(0, 4))}`);
    assert.equal(failed.metric, 'error-rate');
    t.diagnostic(`rolled back ${((rolledBack - started) / 1000).toFixed(1)} s after the patch: ${failed.message}`);

    // The canary's Pods go; afterwards every answer comes from v1.
    await waitFor('the v2 Pods gone', async () => (await revisionPods(canary.canaryRevision.name)).length === 0, 120_000, 500);
    const afterwards = await nextAnswers(40);
    assert.ok(afterwards.every((a) => a.status === 200 && a.version === '1'), tally(afterwards));
    const during = load!.answers.filter((a) => a.time >= started && a.time <= rolledBack);
    t.diagnostic(`answers from the patch to the rollback: ${tally(during)}`);
    assert.ok(during.some((a) => a.status === 500), 'v2 answered some users with 500 before the rollback (the evidence)');

    const events = (await getJson(['get', 'events.events.k8s.io', '-n', NS, '--field-selector', `regarding.name=${ISVC}`])).items.map((e: any) => e.reason);
    assert.ok(events.includes('AnalysisFailed'), events.join());
  });

  it('given a canary of v3 held at 50 %, when the operator is killed on the node, then its restarted container resumes the same step and a promote finishes it', async (t) => {
    await patchIsvc({ model: { modelVersion: `${ISVC}-v3` }, rollout: { canary: { steps: [{ weight: 50, pause: {} }, { weight: 100 }] } } });
    const held = await isvcStatus('v3 held at step 1 (50 %)', (s) => s.canaryRevision?.modelVersion === `${ISVC}-v3` && s.currentStep === 0 && s.canaryRevision.readyReplicas === 2 && s.phase === 'Paused');
    const canary = held.canaryRevision.name as string;
    // Both versions answer users: kube-proxy splits new connections over all four ready Pods.
    const split = await waitFor('answers from both versions', async () => {
      const a = await nextAnswers(40);
      return a.some((x) => x.version === '1') && a.some((x) => x.version === '3') ? a : undefined;
    }, 60_000, 0);
    t.diagnostic(`held at 50 %: ${tally(split)}`);

    const operator = (await getJson(['get', 'pods', '-n', 'modelops-system', '-l', 'app.kubernetes.io/name=modelops'])).items[0];
    const restarts = operator.status.containerStatuses[0].restartCount as number;
    const killedAt = Date.now();
    await killContainer(cluster, operator.status.containerStatuses[0].containerID);
    await waitFor('the operator container restarted and ready', async () => {
      const p = await getJson(['get', 'pod', operator.metadata.name, '-n', 'modelops-system']);
      return p.status.containerStatuses[0].restartCount > restarts && p.status.containerStatuses[0].ready;
    }, 180_000, 500);
    t.diagnostic(`operator ready again ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);

    // The new process measures again (a measurement newer than the kill) and holds the same step.
    const resumed = await isvcStatus('measuring again after the restart', (s) => (s.analysis ?? []).some((m: any) => Date.parse(m.time) > killedAt && m.revision === canary));
    assert.equal(resumed.canaryRevision.name, canary);
    assert.equal(resumed.currentStep, 0);
    assert.equal(resumed.stepStartTime, held.stepStartTime, 'the step was not restarted');
    assert.equal(resumed.phase, 'Paused');
    const deployments = (await getJson(['get', 'deployments', '-n', NS, '-l', `modelops.dev/inferenceservice=${ISVC}`])).items.map((d: any) => d.metadata.name).sort();
    assert.deepEqual(deployments, [held.stableRevision.name, canary].sort(), 'nothing duplicated');

    await kubectlOk(['annotate', 'misvc', ISVC, '-n', NS, '--overwrite', `modelops.dev/promote=${Date.now()}`], kc);
    const done = await isvcStatus('v3 promoted', (s) => s.phase === 'Healthy' && s.servingModelVersion === `${ISVC}-v3`);
    assert.equal(done.canaryRevision, undefined);
    await waitFor('the v1 Pods gone', async () => (await revisionPods(held.stableRevision.name)).length === 0, 120_000, 500);
    const afterwards = await nextAnswers(40);
    assert.ok(afterwards.every((a) => a.status === 200 && a.version === '3'), tally(afterwards));
  });

  it('given v3 serving, when v4 is rolled out blue-green, then the preview serves v4 alone until the switch moves every user to it', async (t) => {
    await patchIsvc({ model: { modelVersion: `${ISVC}-v4` }, rollout: { strategy: 'BlueGreen', blueGreen: { autoPromotionDelay: '20s', scaleDownDelay: '30s' } } });
    const previewing = await isvcStatus('the v4 preview ready', (s) => s.canaryRevision?.modelVersion === `${ISVC}-v4` && s.previewUrl && s.canaryRevision.readyReplicas === 2);
    const blue = previewing.stableRevision.name as string;
    const green = previewing.canaryRevision.name as string;
    assert.equal(previewing.previewUrl, `http://${ISVC}-preview.${NS}.svc.cluster.local`);

    // A smoke test of the preview, as a person or a pipeline would run it: that traffic is
    // what the analysis judges, while users still get v3 only.
    const previewIp = (await kubectlOk(['get', 'service', `${ISVC}-preview`, '-n', NS, '-o', 'jsonpath={.spec.clusterIP}'], kc)).trim();
    const smoke = sendLoad(`http://${previewIp}/v2/models/${ISVC}/infer`, dayRequests(), 10);
    try {
      const users = await nextAnswers(40);
      assert.ok(users.every((a) => a.status === 200 && a.version === '3'), `users before the switch: ${tally(users)}`);
      // A new Service's ClusterIP works once kube-proxy has programmed it: from its first answer on,
      // the preview answers with v4 only.
      const first = await waitFor('the preview answering', () => smoke.answers.find((a) => a.status === 200), 60_000, 100);
      const programmed = smoke.answers.filter((a) => a.time < first.time);
      await waitFor('preview answers', () => smoke.since(first.time).length >= 20, 60_000, 100);
      const previewed = smoke.since(first.time);
      t.diagnostic(`preview: ${tally(previewed)} (before kube-proxy had programmed it: ${tally(programmed)})`);
      assert.ok(previewed.every((a) => a.status === 200 && a.version === '4'), `preview: ${tally(previewed)}`);

      const switched = await isvcStatus('switched to v4', (s) => s.phase === 'Healthy' && s.servingModelVersion === `${ISVC}-v4`);
      const at = Date.now();
      assert.equal(switched.servingRevision, green);
      const passed = switched.analysis.filter((m: any) => m.revision === green && m.result === 'Successful');
      assert.ok(passed.length > 0, 'the preview was measured');
      t.diagnostic(`switched after ${passed.length} passing measurements of the preview; users then: ${tally(await nextAnswers(40))}`);
      // kube-proxy has the new endpoints within a moment; from then on, only v4.
      await new Promise((r) => setTimeout(r, 3000));
      const afterwards = await nextAnswers(40);
      assert.ok(afterwards.every((a) => a.status === 200 && a.version === '4'), `users after the switch: ${tally(afterwards)}`);
      // The previous revision stays warm for scaleDownDelay, ready for an instant switch back.
      assert.equal((await revisionPods(blue)).length, 2, 'v3 still warm right after the switch');
      await waitFor('v3 scaled down after the delay', async () => (await revisionPods(blue)).length === 0, 120_000, 1000);
      t.diagnostic(`v3 kept warm, its Pods gone ${((Date.now() - at) / 1000).toFixed(0)} s after the switch (scaleDownDelay 30s)`);
    } finally {
      await smoke.stop();
    }
  });
  it('given v4 serving, when the InferenceService moves behind the Gateway and a canary of v5 holds at 20 %, then the gateway sends users exactly that share', { skip: traefikMissing() }, async (t) => {
    const gateway = await startClusterGateway(cluster, NS, 'edge');
    const url = `${gateway}/v2/models/${ISVC}/infer`;
    await patchIsvc({ traffic: { provider: 'GatewayAPI', gateway: { parentRefs: [{ name: 'edge' }] } } });
    await isvcStatus('v4 serving through the HTTPRoute', (s) => s.phase === 'Healthy' && s.servingModelVersion === `${ISVC}-v4`);
    const users = sendLoad(url, dayRequests(), 20);
    try {
      // Traefik programs the route a moment after the operator writes it.
      const first = await waitFor('the gateway answering', () => users.answers.find((a) => a.status === 200), 60_000, 100);
      await patchIsvc({ model: { modelVersion: `${ISVC}-v5` }, rollout: { strategy: 'Canary', canary: { steps: [{ weight: 20, pause: {} }, { weight: 100 }] } } });
      const held = await isvcStatus('v5 held at 20 %', (s) => s.canaryRevision?.modelVersion === `${ISVC}-v5` && s.canaryWeight === 20 && s.phase === 'Paused' && s.canaryRevision.readyReplicas > 0);
      const route = await getJson(['get', 'httproutes.gateway.networking.k8s.io', ISVC, '-n', NS]);
      const weights = Object.fromEntries(route.spec.rules[0].backendRefs.map((b: any) => [b.name, b.weight]));
      assert.deepEqual(weights, { [held.stableRevision.name]: 80, [held.canaryRevision.name]: 20 });
      // Traefik has the new weights within a moment of the route's write; then 200 answers.
      await new Promise((r) => setTimeout(r, 2000));
      const split = await nextAnswersFrom(users, 200);
      const v5 = split.filter((a) => a.version === '5').length;
      t.diagnostic(`at 20 %: ${tally(split)} (before the gateway had the route: ${tally(users.answers.filter((a) => a.time < first.time))})`);
      assert.ok(split.every((a) => a.status === 200), tally(split));
      // Weighted round robin per request, whatever the connections: 40 of 200, give or take the
      // requests in flight when the count starts.
      assert.ok(v5 >= 35 && v5 <= 45, `v5 answered ${v5} of 200`);

      await kubectlOk(['annotate', 'misvc', ISVC, '-n', NS, '--overwrite', `modelops.dev/promote=${Date.now()}`], kc);
      await isvcStatus('v5 promoted', (s) => s.phase === 'Healthy' && s.servingModelVersion === `${ISVC}-v5`);
      await new Promise((r) => setTimeout(r, 2000));
      const afterwards = await nextAnswersFrom(users, 40);
      assert.ok(afterwards.every((a) => a.status === 200 && a.version === '5'), `after the promotion: ${tally(afterwards)}`);
    } finally {
      await users.stop();
    }
  });
});
