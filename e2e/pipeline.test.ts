// Story: from data to a served model on a real node. The chart installs the operator in a
// Pod; a data scientist applies the Seattle weather Dataset and TrainingJob from examples/
// unchanged. The Dataset's ingest Job (the operator image's data command) and the training
// Job (the trainer image) run as real Pods on the kubelet, read and write a real S3 server,
// and the operator registers and verifies the ModelVersion. Then the user promotes it to
// `production` and applies the example InferenceService: the server image serves the trained
// model from S3 in real Pods, and a prediction comes back through the Service's ClusterIP.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { dump } from 'js-yaml';
import { kubectl, kubectlOk } from '../test/support/cluster.ts';
import { REPO_ROOT } from '../test/support/control-plane.ts';
import { helm, valuesFile } from '../test/support/helm.ts';
import { startS3 } from '../test/support/s3.ts';
import type { S3Server } from '../test/support/s3.ts';
import { waitFor } from '../test/support/wait.ts';
import { loadProjectImage, startCluster } from './support.ts';
import type { Cluster } from './support.ts';

/** The node's bridge address (hack/node.sh): Pods reach host services there. */
const HOST_FROM_PODS = '10.244.0.1';
const EXAMPLES = join(REPO_ROOT, 'examples/seattle-weather');

let cluster: Cluster;
let s3: S3Server;
before(async () => {
  cluster = await startCluster();
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
    const secret = (ns: string) =>
      dump({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'modelops-s3', namespace: ns }, type: 'Opaque', stringData: s3.env });
    for (const ns of ['modelops-system', 'weather']) {
      await kubectlOk(['create', 'namespace', ns], kc);
      await kubectlOk(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted'], kc);
      await kubectlOk(['apply', '-f', '-'], { ...kc, input: secret(ns) });
    }
    const values = valuesFile({
      image: { pullPolicy: 'Never' },
      artifactStore: `s3://${s3.bucket}`,
      artifactStoreSecret: 'modelops-s3',
      extraEnv: Object.keys(s3.env).map((name) => ({ name, valueFrom: { secretKeyRef: { name: 'modelops-s3', key: name } } })),
    });
    const install = await helm(['install', 'modelops', join(REPO_ROOT, 'charts/modelops'), '-n', 'modelops-system', '-f', values, '--wait', '--timeout', '120s'], kc);
    assert.equal(install.code, 0, install.stderr);

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
});
