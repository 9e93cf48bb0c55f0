// Story: a real node runs Pods and routes Services, with nothing but Debian's containerd,
// runc and CNI plugins and the pinned Kubernetes build.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { kubectl, kubectlOk } from '../test/support/cluster.ts';
import { waitFor } from '../test/support/wait.ts';
import { goImage, startCluster } from './support.ts';
import type { Cluster } from './support.ts';

function getOnce(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

let cluster: Cluster;
before(async () => {
  cluster = await startCluster();
});
after(async () => {
  await cluster?.stop();
});

describe('a single real node', () => {
  it('given two echo Pods behind a Service, when the ClusterIP is called, then both Pods answer', async () => {
    const image = await goImage(cluster, 'echo', join(import.meta.dirname, 'fixtures/echo'));
    const k = { kubeconfig: cluster.kubeconfig, namespace: 'default' };
    const labels = { app: 'echo' };
    await kubectlOk(['apply', '-f', '-'], {
      ...k,
      input: [
        dump({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'echo' },
          spec: {
            replicas: 2,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: {
                securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
                containers: [
                  {
                    name: 'echo',
                    image,
                    imagePullPolicy: 'Never',
                    ports: [{ name: 'http', containerPort: 8080 }],
                    readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                  },
                ],
              },
            },
          },
        }),
        dump({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo' }, spec: { selector: labels, ports: [{ port: 80, targetPort: 'http' }] } }),
      ].join('---\n'),
    });
    await kubectlOk(['rollout', 'status', 'deployment/echo', '--timeout=120s'], k);
    const ip = (await kubectlOk(['get', 'service', 'echo', '-o', 'jsonpath={.spec.clusterIP}'], k)).trim();
    const pods = (await kubectlOk(['get', 'pods', '-l', 'app=echo', '-o', 'jsonpath={.items[*].metadata.name}'], k)).trim().split(' ').sort();
    assert.equal(pods.length, 2);

    const seen = new Set<string>();
    await waitFor(
      'answers from both Pods through the ClusterIP',
      async () => {
        // A new connection each time: kube-proxy balances connections, not requests.
        seen.add((await getOnce(`http://${ip}/`)).trim());
        return pods.every((p) => seen.has(p));
      },
      60_000,
      50,
    );
    const logs = await kubectl(['logs', `pod/${pods[0]}`], k);
    assert.equal(logs.code, 0, `kubectl logs reaches the kubelet: ${logs.stderr}`);
  });
});
