// Story: from data to a registered model on a real node. The chart installs the operator in a
// Pod; a data scientist applies the Seattle weather Dataset and TrainingJob from examples/
// unchanged. The Dataset's ingest Job (the operator image's data command) and the training
// Job (the trainer image) run as real Pods on the kubelet, read and write a real S3 server,
// and the operator registers and verifies the ModelVersion.
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
  s3 = await startS3('e2e-artifacts', HOST_FROM_PODS);
});
after(async () => {
  await cluster?.stop();
  await s3?.stop();
});

async function getJson(kc: { kubeconfig: string }, args: string[]): Promise<any> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json'], kc));
}

describe('data to a registered model on a real node', () => {
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
});
