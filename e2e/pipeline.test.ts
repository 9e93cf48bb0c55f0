// Story: from data to a served model on a real node. The chart installs the operator in a
// Pod; a data scientist applies the Seattle weather Dataset and TrainingJob from examples/
// unchanged. The Dataset's ingest Job (the operator image's data command) and the training
// Job (the trainer image) run as real Pods on the kubelet, read and write a real S3 server,
// and the operator registers and verifies the ModelVersion. Then the user promotes it to
// `production` and applies the example InferenceService: the server image serves the trained
// model from S3 in real Pods, and a prediction comes back through the Service's ClusterIP.
// Then the loop closes: the example DriftMonitor sees winter days in the live traffic (as
// Prometheus scraped them from the server Pods), starts a retraining on the newest data, the
// retrained version takes the `production` alias and the InferenceService's canary rolls it
// out, judged by Prometheus, while users keep being answered.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { kubectl, kubectlOk } from '../test/support/cluster.ts';
import { REPO_ROOT } from '../test/support/control-plane.ts';
import { startS3 } from '../test/support/s3.ts';
import type { S3Server } from '../test/support/s3.ts';
import { waitFor } from '../test/support/wait.ts';
import { seattleDays } from '../test/support/rollout.ts';
import { installModelops, loadProjectImage, sendLoad, startCluster, startClusterPrometheus, tally } from './support.ts';
import type { Cluster } from './support.ts';

/** The node's bridge address (hack/node.sh): Pods reach host services there. */
const HOST_FROM_PODS = '10.244.0.1';
const EXAMPLES = join(REPO_ROOT, 'examples/seattle-weather');

let cluster: Cluster;
let s3: S3Server;
let promUrl: string;
before(async () => {
  cluster = await startCluster();
  promUrl = await startClusterPrometheus(cluster, '1s');
  await loadProjectImage(cluster, 'operator');
  await loadProjectImage(cluster, 'trainer');
  await loadProjectImage(cluster, 'server');
  s3 = await startS3('e2e-artifacts', HOST_FROM_PODS);
});
after(async () => {
  await cluster?.stop();
  await s3?.stop();
});

/** POSTs JSON from the host (the test process) and returns the status and the parsed answer. */
async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

async function getJson(kc: { kubeconfig: string }, args: string[]): Promise<any> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json'], kc));
}

describe('data to a served model on a real node', () => {
  it('given the chart and an S3 store, when the example Dataset and TrainingJob are applied, then real Jobs ingest and train and a verified ModelVersion is registered', async (t) => {
    const kc = { kubeconfig: cluster.kubeconfig };
    // The example's source: s3://modelops-examples/seattle-weather/seattle-weather.csv.
    await s3.client.send(new CreateBucketCommand({ Bucket: 'modelops-examples' }));
    await s3.client.send(
      new PutObjectCommand({
        Bucket: 'modelops-examples',
        Key: 'seattle-weather/seattle-weather.csv',
        Body: readFileSync(join(REPO_ROOT, 'node_modules/vega-datasets/data/seattle-weather.csv')),
      }),
    );
    await installModelops(cluster, s3, ['weather'], promUrl);

    const ns = { ...kc, namespace: 'weather' };
    await kubectlOk(['apply', '-f', join(EXAMPLES, '01-dataset.yaml'), '-f', join(EXAMPLES, '02-trainingjob.yaml')], ns);

    const dataset = await waitFor(
      'the Dataset ingested by a real Job',
      async () => {
        const d = await getJson(kc, ['get', 'mds', 'seattle-weather', '-n', 'weather']);
        if (d.status?.phase === 'Failed') throw new Error(`ingest failed: ${JSON.stringify(d.status.conditions)}`);
        return d.status?.phase === 'Ready' ? d : undefined;
      },
      240_000,
      1000,
    );
    assert.equal(dataset.status.currentVersion.rows, 1461);
    assert.match(dataset.status.currentVersion.uri, new RegExp(`^s3://${s3.bucket}/datasets/weather/seattle-weather/`));

    const tj = await waitFor(
      'the TrainingJob trained by a real Job',
      async () => {
        const o = await getJson(kc, ['get', 'mtj', 'seattle-weather', '-n', 'weather']);
        if (['Failed', 'Rejected'].includes(o.status?.phase)) throw new Error(`training ${o.status.phase}: ${o.status.failureReason ?? JSON.stringify(o.status.conditions)}`);
        return o.status?.phase === 'Succeeded' ? o : undefined;
      },
      420_000,
      1000,
    );
    assert.equal(tj.status.modelVersion, 'seattle-weather-v1');
    assert.equal(tj.status.datasetVersion, dataset.status.currentVersion.version);
    assert.ok(tj.status.metrics.accuracy >= 0.7, `accuracy ${tj.status.metrics.accuracy}`);
    // The digest containerd reports for the image the Pod really ran.
    assert.match(tj.status.imageDigest, /^sha256:[a-f0-9]{64}$/);

    const mv = await waitFor(
      'the ModelVersion verified',
      async () => {
        const o = await getJson(kc, ['get', 'mv', 'seattle-weather-v1', '-n', 'weather']);
        return o.status?.phase === 'Ready' ? o : undefined;
      },
      60_000,
      1000,
    );
    assert.equal(mv.spec.lineage.dataset.version, dataset.status.currentVersion.version);
    assert.equal(mv.spec.lineage.trainingJob, 'seattle-weather');
    assert.equal(mv.spec.lineage.imageDigest, tj.status.imageDigest);
    assert.deepEqual(mv.status.aliases, ['candidate']);
    assert.ok(mv.status.verifiedAt);

    // What a user sees.
    const table = await kubectlOk(['get', 'modelops', '-n', 'weather'], kc);
    t.diagnostic(`kubectl get modelops -n weather\n${table}`);
    assert.match(table, /dataset\.modelops\.dev\/seattle-weather\s+Ready/);
    const logs = await kubectl(['logs', '-n', 'modelops-system', 'deploy/modelops'], kc);
    assert.doesNotMatch(logs.stdout, /"level":50/, 'no error in the operator log');
  });

  it('given the verified model, when it is promoted to production and the example InferenceService is applied, then real server Pods serve it and a prediction comes back through the ClusterIP', async (t) => {
    const kc = { kubeconfig: cluster.kubeconfig };
    const ns = { ...kc, namespace: 'weather' };
    // As a user promotes a model: the alias moves by a patch of the ModelVersion.
    await kubectlOk(['patch', 'mv', 'seattle-weather-v1', '--type', 'merge', '-p', '{"spec":{"aliases":["candidate","production"]}}'], ns);
    await kubectlOk(['apply', '-f', join(EXAMPLES, '04-inferenceservice.yaml')], ns);

    const isvc = await waitFor(
      'the InferenceService Healthy: the server Pods loaded the model from S3 and are ready',
      async () => {
        const o = await getJson(kc, ['get', 'misvc', 'seattle-weather', '-n', 'weather']);
        return o.status?.phase === 'Healthy' && o.status?.servingRevision ? o : undefined;
      },
      300_000,
      1000,
    ).catch(async (err) => {
      // What the server said about its model, for the failure message.
      const pods = await kubectl(['get', 'pods', '-n', 'weather', '-l', 'app.kubernetes.io/name=modelops-server', '-o', 'wide'], kc);
      const logs = await kubectl(['logs', '-n', 'weather', '-l', 'app.kubernetes.io/name=modelops-server', '--tail=20'], kc);
      const status = await kubectl(['get', 'misvc', 'seattle-weather', '-n', 'weather', '-o', 'jsonpath={.status}'], kc);
      throw new Error(`${(err as Error).message}\n${pods.stdout}\n${logs.stdout}${logs.stderr}\n${status.stdout}`);
    });
    const revision = isvc.status.servingRevision as string;
    const deploy = await getJson(kc, ['get', 'deployment', revision, '-n', 'weather']);
    assert.equal(deploy.metadata.annotations['modelops.dev/model-version'], 'seattle-weather-v1');
    assert.equal(deploy.status.readyReplicas, 2);
    assert.equal(deploy.spec.template.spec.containers[0].image, 'localhost/modelops/server:0.1.0');

    // From the host, through kube-proxy's rules for the front Service's ClusterIP (port 80).
    const ip = (await kubectlOk(['get', 'service', 'seattle-weather', '-n', 'weather', '-o', 'jsonpath={.spec.clusterIP}'], kc)).trim();
    const base = `http://${ip}/v2/models/seattle-weather`;
    // The Service's endpoints reach kube-proxy's iptables rules a moment after the revision is
    // Available (until then the ClusterIP refuses connections): wait for the first answer.
    const metadata: any = await waitFor(
      'kube-proxy routing the ClusterIP',
      async () => {
        try {
          return await (await fetch(base, { signal: AbortSignal.timeout(10_000) })).json();
        } catch (err) {
          if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return undefined;
          throw err;
        }
      },
      30_000,
      500,
    );
    t.diagnostic(`GET ${base}\n${JSON.stringify(metadata)}`);
    assert.deepEqual(metadata.inputs.map((i: { name: string }) => i.name).sort(), ['precipitation', 'temp_max', 'temp_min', 'wind']);

    // A summer day of the Seattle data: no rain, 25 °C / 14 °C, wind 3.
    const row = { precipitation: 0, temp_max: 25, temp_min: 14, wind: 3 };
    const v2req = { id: 'e2e-1', inputs: Object.entries(row).map(([name, v]) => ({ name, datatype: 'FP32', shape: [1, 1], data: [v] })) };
    const v2 = await postJson(`${base}/infer`, v2req);
    t.diagnostic(`POST ${base}/infer ${JSON.stringify(v2req)}\n-> ${v2.status} ${JSON.stringify(v2.body)}`);
    assert.equal(v2.status, 200, JSON.stringify(v2.body));
    assert.equal(v2.body.model_name, 'seattle-weather');
    assert.equal(v2.body.model_version, '1');
    assert.equal(v2.body.id, 'e2e-1');
    const label = v2.body.outputs.find((o: { name: string }) => o.name === 'label');
    assert.deepEqual({ datatype: label.datatype, shape: label.shape }, { datatype: 'BYTES', shape: [1] });
    assert.ok(['sun', 'rain', 'drizzle', 'fog', 'snow'].includes(label.data[0]), `a class label, got ${label.data[0]}`);
    const probs = v2.body.outputs.find((o: { name: string }) => o.name === 'probabilities');
    assert.deepEqual(probs.shape, [1, 5]);
    assert.ok(Math.abs(probs.data.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-3, `probabilities sum to 1: ${probs.data}`);

    const v1 = await postJson(`http://${ip}/v1/models/seattle-weather:predict`, { instances: [row] });
    t.diagnostic(`POST http://${ip}/v1/models/seattle-weather:predict ${JSON.stringify({ instances: [row] })}\n-> ${v1.status} ${JSON.stringify(v1.body)}`);
    assert.equal(v1.status, 200, JSON.stringify(v1.body));
    assert.equal(v1.body.predictions[0].label, label.data[0], 'V1 and V2 agree');

    // The server's own metrics count the answered requests and the predicted class.
    // The server's own metrics, read from each Pod's address on the bridge, count the two
    // predictions and their class.
    const podIPs = (await kubectlOk(['get', 'pods', '-n', 'weather', '-l', `modelops.dev/revision=${revision}`, '-o', 'jsonpath={.items[*].status.podIP}'], kc)).trim().split(/\s+/);
    assert.equal(podIPs.length, 2);
    let predicted = 0;
    for (const podIP of podIPs) {
      const text = await (await fetch(`http://${podIP}:8080/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
      // The drift histograms are binned by the Dataset profile's edges (REFERENCE_PROFILE).
      assert.match(text, /^modelops_feature_value_bucket\{[^}]*feature="temp_max"[^}]*\} /m, `drift histogram of temp_max on ${podIP}`);
      for (const m of text.matchAll(/^modelops_prediction_class_total\{([^}]*)\} (\S+)$/gm)) {
        if (m[1]!.includes(`class="${label.data[0]}"`) && m[1]!.includes('model="seattle-weather"')) predicted += Number(m[2]);
      }
    }
    assert.equal(predicted, 2, 'both predictions counted under their class');
    const serverLogs = await kubectl(['logs', '-n', 'weather', '-l', `modelops.dev/revision=${revision}`, '--tail=-1'], kc);
    assert.doesNotMatch(serverLogs.stdout, /"level":"(warn|error|fatal)"/, `no warning or error in the server log:\n${serverLogs.stdout}`);
    await kubectlOk(['get', 'modelops', '-n', 'weather'], kc).then((table) => t.diagnostic(`kubectl get modelops -n weather\n${table}`));
  });
  it('given v1 serving and the example DriftMonitor, when winter days arrive, then drift starts a retraining whose model rolls out by canary on Prometheus evidence', async (t) => {
    const kc = { kubeconfig: cluster.kubeconfig };
    const ns = { ...kc, namespace: 'weather' };
    const ip = (await kubectlOk(['get', 'service', 'seattle-weather', '-n', 'weather', '-o', 'jsonpath={.spec.clusterIP}'], kc)).trim();
    const url = `http://${ip}/v2/models/seattle-weather/infer`;
    // The trained model's inputs: one FP32 [1, 1] tensor per feature.
    const days = (months: number[]) => {
      const rows = seattleDays().filter((d) => months.includes(d.month));
      let next = 0;
      return () => {
        const [precipitation, temp_max, temp_min, wind] = rows[next++ % rows.length]!.x;
        return { inputs: Object.entries({ precipitation, temp_max, temp_min, wind }).map(([name, v]) => ({ name, datatype: 'FP32', shape: [1, 1], data: [v] })) };
      };
    };
    const promValue = async (query: string): Promise<number> => {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(10_000) });
      const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      return Number(body.data.result[0]?.value[1] ?? 0);
    };

    await kubectlOk(['apply', '-f', join(EXAMPLES, '05-driftmonitor.yaml')], ns);
    // 400 days of December to February: the model was trained on every month, the monitor's
    // reference is the training Dataset's profile.
    const winter = sendLoad(url, days([12, 1, 2]), 25);
    await waitFor('400 winter answers', () => winter.answers.length >= 400, 120_000, 200);
    await winter.stop();
    t.diagnostic(`winter traffic: ${tally(winter.answers)}`);
    assert.ok(winter.answers.filter((a) => a.status === 200).length >= 395, tally(winter.answers));
    await waitFor('Prometheus has scraped the winter requests', async () => (await promValue('sum(modelops_inference_requests_total{namespace="weather"})')) >= 400, 60_000, 1000);

    // The monitor runs every 30 minutes; run it now, as a user would.
    const canary = { steps: [{ weight: 50, pause: { duration: '20s' } }, { weight: 100 }] };
    // The example's 2 and 5 minute pauses are shortened, and its latency checks relaxed: on the
    // shared 2-core CI machine latency measures the machine, not the model.
    await kubectlOk(['patch', 'misvc', 'seattle-weather', '--type', 'merge', '-p', JSON.stringify({ spec: { rollout: { canary, analysis: { interval: '10s', window: '30s', maxLatencyP99Ms: 2000, maxLatencyRatio: 0 } } } })], ns);
    await kubectlOk(['annotate', 'mdm', 'seattle-weather', '--overwrite', `modelops.dev/run=${Date.now()}`], ns);
    const dm = await waitFor(
      'the DriftMonitor run',
      async () => {
        const o = await getJson(kc, ['get', 'mdm', 'seattle-weather', '-n', 'weather']);
        if (o.status?.phase === 'Failed') throw new Error(`drift run failed: ${JSON.stringify(o.status.conditions)}`);
        return ['Drifted', 'NoDrift', 'InsufficientData'].includes(o.status?.phase) ? o : undefined;
      },
      120_000,
      1000,
    );
    const features = dm.status.features.map((f: any) => `${f.name}: ${f.method} ${Number(f.statistic).toFixed(3)} (threshold ${f.threshold}, ${f.samples} samples) ${f.verdict}`);
    t.diagnostic(`drift: ${dm.status.phase}\n  ${features.join('\n  ')}`);
    assert.equal(dm.status.phase, 'Drifted');
    assert.equal(dm.status.features.find((f: any) => f.name === 'temp_max').verdict, 'Drift');
    const retrain = dm.status.retrainingJob as string;
    assert.ok(retrain, 'a retraining TrainingJob was started');

    const tj = await waitFor(
      `the retraining ${retrain}`,
      async () => {
        const o = await getJson(kc, ['get', 'mtj', retrain, '-n', 'weather']);
        if (['Failed', 'Rejected'].includes(o.status?.phase)) throw new Error(`retraining ${o.status.phase}: ${o.status.failureReason ?? JSON.stringify(o.status.conditions)}`);
        return o.status?.phase === 'Succeeded' ? o : undefined;
      },
      420_000,
      1000,
    );
    const v2 = tj.status.modelVersion as string;
    assert.equal(v2, 'seattle-weather-v2');

    // Users keep sending every kind of day while the canary is judged.
    const users = sendLoad(url, days([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), 15);
    let sawCanary = false;
    try {
      const done = await waitFor(
        `${v2} promoted by the canary`,
        async () => {
          const o = await getJson(kc, ['get', 'misvc', 'seattle-weather', '-n', 'weather']);
          if (o.status?.canaryRevision?.modelVersion === v2 && o.status.canaryWeight > 0) sawCanary = true;
          if (o.status?.phase === 'RolledBack') throw new Error(`the canary of ${v2} was rolled back: ${JSON.stringify(o.status.analysis.slice(0, 4).map((m: any) => m.message))}`);
          return o.status?.phase === 'Healthy' && o.status.servingModelVersion === v2 ? o : undefined;
        },
        300_000,
        1000,
      );
      assert.ok(sawCanary, 'the new version went through canary steps');
      const measured = done.status.analysis.filter((m: any) => m.result === 'Successful' && m.revision === done.status.servingRevision);
      assert.ok(measured.some((m: any) => m.metric === 'error-rate'), 'the canary passed the error-rate check');
      assert.ok(measured.some((m: any) => m.metric === 'rain-share'), "the canary passed the example's custom check");
      t.diagnostic(`canary measurements that passed: ${measured.length}, e.g. ${measured[0].message}`);
    } finally {
      await users.stop();
    }
    t.diagnostic(`users during the rollout: ${tally(users.answers)}`);
    assert.ok(users.answers.some((a) => a.version === '1') && users.answers.some((a) => a.version === '2'), 'both versions answered users during the canary');
    assert.ok(users.answers.filter((a) => a.status !== 200).length <= users.answers.length / 100, `at most 1 % of users not answered: ${tally(users.answers)}`);

    const mv2 = await getJson(kc, ['get', 'mv', v2, '-n', 'weather']);
    assert.ok(mv2.status.aliases.includes('production'));
    assert.equal(mv2.spec.lineage.trainingJob, retrain);
    // Cooldown: a second run while drift persists does not retrain again.
    await kubectlOk(['annotate', 'mdm', 'seattle-weather', '--overwrite', `modelops.dev/run=${Date.now()}`], ns);
    const again = await waitFor('the second run', async () => {
      const o = await getJson(kc, ['get', 'mdm', 'seattle-weather', '-n', 'weather']);
      return o.status?.lastRunTime !== dm.status.lastRunTime && o.status?.phase ? o : undefined;
    }, 120_000, 1000);
    const tjs = (await getJson(kc, ['get', 'mtj', '-n', 'weather'])).items.map((o: any) => o.metadata.name);
    assert.deepEqual(tjs.sort(), ['seattle-weather', retrain].sort(), `no second retraining within the cooldown (second run: ${again.status.phase})`);
    await kubectlOk(['get', 'modelops', '-n', 'weather'], kc).then((table) => t.diagnostic(`kubectl get modelops -n weather\n${table}`));
  });
});
