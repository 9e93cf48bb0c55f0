// Story: the node's cluster services. Pods find Services by name through cluster DNS (CoreDNS
// on the node IP, answering from the API), and Prometheus finds the model server Pods through
// Kubernetes service discovery and scrapes their metrics with the revision they belong to:
// what rollout analysis reads.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dump } from 'js-yaml';
import { desiredRevision } from '../operator/controllers/inferenceservice/desired.ts';
import type { InferenceService, ModelVersion } from '../operator/api/v1alpha1/types.ts';
import { kubectl, kubectlOk } from '../test/support/cluster.ts';
import { REPO_ROOT } from '../test/support/control-plane.ts';
import { waitFor } from '../test/support/wait.ts';
import { goImage, loadProjectImage, startCluster, startClusterPrometheus } from './support.ts';
import type { Cluster } from './support.ts';

/** The node IP (hack/node.sh): CoreDNS and Prometheus listen there, Pods reach the host there. */
const NODE_IP = '10.244.0.1';
const CLASSIFIER = join(REPO_ROOT, 'runtime-images/server/test/fixtures/models/classifier');

let cluster: Cluster;
before(async () => {
  cluster = await startCluster();
});
after(async () => {
  await cluster?.stop();
});

/** Waits until a Pod has finished and returns its phase and log. */
async function finished(kc: { kubeconfig: string; namespace: string }, pod: string): Promise<{ phase: string; log: string }> {
  const phase = await waitFor(
    `Pod ${pod} finished`,
    async () => {
      const p = (await kubectlOk(['get', 'pod', pod, '-o', 'jsonpath={.status.phase}'], kc)).trim();
      return p === 'Succeeded' || p === 'Failed' ? p : undefined;
    },
    120_000,
    500,
  );
  const logs = await kubectl(['logs', `pod/${pod}`], kc);
  return { phase, log: logs.stdout + logs.stderr };
}

async function promQuery(url: string, path: string): Promise<any> {
  const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; data: any; error?: string };
  if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
  return body.data;
}

describe('cluster services on a real node', () => {
  it('given an echo Service, when a Pod requests it by its DNS name, then CoreDNS resolves it to the ClusterIP and the Pod gets the answer', async (t) => {
    const kc = { kubeconfig: cluster.kubeconfig, namespace: 'names' };
    await kubectlOk(['create', 'namespace', 'names'], { kubeconfig: cluster.kubeconfig });
    const echo = await goImage(cluster, 'echo', join(import.meta.dirname, 'fixtures/echo'));
    const fetcher = await goImage(cluster, 'fetch', join(import.meta.dirname, 'fixtures/fetch'));
    const restricted = {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      container: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    };
    const labels = { app: 'echo' };
    await kubectlOk(['apply', '-f', '-'], {
      ...kc,
      input: [
        dump({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'echo', labels },
          spec: {
            securityContext: restricted.securityContext,
            containers: [
              {
                name: 'echo',
                image: echo,
                imagePullPolicy: 'Never',
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
                securityContext: restricted.container,
              },
            ],
          },
        }),
        dump({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo' }, spec: { selector: labels, ports: [{ port: 80, targetPort: 'http' }] } }),
      ].join('---\n'),
    });
    await kubectlOk(['wait', '--for=condition=Ready', 'pod/echo', '--timeout=120s'], kc);
    const ip = (await kubectlOk(['get', 'service', 'echo', '-o', 'jsonpath={.spec.clusterIP}'], kc)).trim();
    // A Ready Pod is not yet routed: kube-proxy programs the Service's endpoint a moment later,
    // and until then the ClusterIP refuses connections (seen once in CI: the fetch Pod below got
    // "connection refused"). Wait for the data path from the host before testing names.
    await waitFor('the echo ClusterIP answering from the host', () => new Promise<boolean>((resolve) => {
      const req = http.get({ host: ip, port: 80, path: '/', agent: false, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => {
        req.destroy();
        resolve(false);
      });
    }), 60_000, 100);

    // From the host, asking the node's DNS server directly.
    const resolver = new Resolver({ timeout: 2000, tries: 2 });
    resolver.setServers([NODE_IP]);
    assert.deepEqual(await resolver.resolve4('echo.names.svc.cluster.local'), [ip], 'CoreDNS answers the Service name with its ClusterIP');
    assert.deepEqual(await resolver.resolve4('kubernetes.default.svc.cluster.local'), ['10.0.0.1']);

    // From a Pod: the full name, and the bare name through the search list the kubelet writes.
    await kubectlOk(['apply', '-f', '-'], {
      ...kc,
      input: dump({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'fetch' },
        spec: {
          restartPolicy: 'Never',
          securityContext: restricted.securityContext,
          containers: [
            {
              name: 'fetch',
              image: fetcher,
              imagePullPolicy: 'Never',
              args: ['http://echo.names.svc.cluster.local/', 'http://echo/'],
              securityContext: restricted.container,
            },
          ],
        },
      }),
    });
    const { phase, log } = await finished(kc, 'fetch');
    t.diagnostic(`fetch Pod (${phase}):\n${log}`);
    assert.equal(phase, 'Succeeded', log);
    assert.match(log, new RegExp(`^http://echo\\.names\\.svc\\.cluster\\.local/ ${ip.replaceAll('.', '\\.')} 200 echo$`, 'm'));
    assert.match(log, new RegExp(`^http://echo/ ${ip.replaceAll('.', '\\.')} 200 echo$`, 'm'));
  });

  it('given Prometheus with Kubernetes discovery, when a model server revision serves requests, then its Pod is discovered and modelops_inference_requests_total is scraped with the revision label', async (t) => {
    const kc = { kubeconfig: cluster.kubeconfig };
    const promUrl = await startClusterPrometheus(cluster, '1s');
    t.diagnostic(`Prometheus at ${promUrl}`);
    await loadProjectImage(cluster, 'server');

    // The model's artifacts, served from the host where Pods reach it (the server reads http://).
    const files = http.createServer((req, res) => {
      const name = (req.url ?? '/').slice(1);
      if (!['model.onnx', 'signature.json'].includes(name)) return void res.writeHead(404).end();
      res.writeHead(200).end(readFileSync(join(CLASSIFIER, name)));
    });
    await new Promise<void>((r) => files.listen(0, NODE_IP, r));
    t.after(() => new Promise<void>((r) => files.close(() => r())));
    const modelUri = `http://${NODE_IP}:${(files.address() as AddressInfo).port}/model.onnx`;

    // The very Deployment and Service the operator makes for a revision (its own pure function),
    // applied directly: this story is about discovery and scraping, not reconciliation.
    const isvc = {
      apiVersion: 'modelops.dev/v1alpha1',
      kind: 'InferenceService',
      metadata: { name: 'weather', namespace: 'serving' },
      spec: { model: { name: 'weather', alias: 'production' }, replicas: 1 },
    } as unknown as InferenceService;
    const mv = {
      apiVersion: 'modelops.dev/v1alpha1',
      kind: 'ModelVersion',
      metadata: { name: 'weather-v1', namespace: 'serving' },
      spec: { model: 'weather', version: 1, artifact: { uri: modelUri, digest: `sha256:${createHash('sha256').update(readFileSync(join(CLASSIFIER, 'model.onnx'))).digest('hex')}` } },
    } as unknown as ModelVersion;
    const revision = desiredRevision(isvc, { modelVersion: mv }, { serverImage: 'localhost/modelops/server:0.1.0' });
    revision.deployment.spec!.template.spec!.containers[0]!.imagePullPolicy = 'Never';
    await kubectlOk(['create', 'namespace', 'serving'], kc);
    await kubectlOk(['apply', '-f', '-'], { ...kc, input: [dump(revision.deployment), dump(revision.service)].join('---\n') });
    await kubectlOk(['rollout', 'status', `deployment/${revision.name}`, '-n', 'serving', '--timeout=180s'], kc).catch(async (err) => {
      const logs = await kubectl(['logs', '-n', 'serving', `deployment/${revision.name}`, '--tail=20'], kc);
      throw new Error(`${(err as Error).message}\n${logs.stdout}${logs.stderr}`);
    });
    const [pod, podIP] = (await kubectlOk(['get', 'pods', '-n', 'serving', '-l', `modelops.dev/revision=${revision.name}`, '-o', 'jsonpath={.items[0].metadata.name} {.items[0].status.podIP}'], kc)).trim().split(' ');

    // Discovered through the API: the server Pod, and not the echo Pod whose port is also named http.
    const target = await waitFor(
      'the server Pod among the active targets, scraped',
      async () => {
        const data = await promQuery(promUrl, '/api/v1/targets?state=active');
        const found = data.activeTargets.find((x: any) => x.labels.pod === pod);
        return found?.health === 'up' ? { found, all: data.activeTargets } : undefined;
      },
      60_000,
      500,
    );
    t.diagnostic(`target ${JSON.stringify(target.found.labels)} ${target.found.scrapeUrl}`);
    assert.equal(target.found.scrapeUrl, `http://${podIP}:8080/metrics`);
    assert.deepEqual(
      { revision: target.found.labels.revision, namespace: target.found.labels.namespace, job: target.found.labels.job },
      { revision: revision.name, namespace: 'serving', job: 'modelops-server' },
    );
    assert.deepEqual(
      target.all.map((x: any) => x.labels.pod),
      [pod],
      'only model server Pods are targets',
    );

    // Three predictions, then the counter as Prometheus has it, by revision.
    const row = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [[0, 25, 14, 3]] }, { name: 'month', datatype: 'INT64', shape: [1, 1], data: [[7]] }] };
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`http://${podIP}:8080/v2/models/weather/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(row), signal: AbortSignal.timeout(10_000) });
      assert.equal(res.status, 200, await res.text());
    }
    const query = `sum by (revision, namespace, pod) (modelops_inference_requests_total{revision="${revision.name}",code="200"})`;
    const series = await waitFor(
      'three requests counted in Prometheus',
      async () => {
        const data = await promQuery(promUrl, `/api/v1/query?query=${encodeURIComponent(query)}`);
        return data.result.length === 1 && Number(data.result[0].value[1]) === 3 ? data.result[0] : undefined;
      },
      30_000,
      500,
    );
    t.diagnostic(`${query}\n-> ${JSON.stringify(series)}`);
    assert.deepEqual(series.metric, { revision: revision.name, namespace: 'serving', pod });
  });
});
