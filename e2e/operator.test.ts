// Story: a platform engineer installs modelops with Helm on a real cluster; the operator runs
// in a Pod (the image built from the repository's Dockerfile) under the restricted Pod
// Security profile, and reconciles what a data scientist applies.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { kubectl, kubectlOk } from '../test/support/cluster.ts';
import { REPO_ROOT } from '../test/support/control-plane.ts';
import { helm } from '../test/support/helm.ts';
import { waitFor } from '../test/support/wait.ts';
import { loadProjectImage, startCluster } from './support.ts';
import type { Cluster } from './support.ts';

let cluster: Cluster;
before(async () => {
  cluster = await startCluster();
  await loadProjectImage(cluster, 'operator');
});
after(async () => {
  await cluster?.stop();
});

describe('modelops installed with Helm on a real node', () => {
  it('given the chart installed, when an InferenceService is applied, then the operator in its Pod reconciles it', async () => {
    const kc = { kubeconfig: cluster.kubeconfig };
    await kubectlOk(['create', 'namespace', 'modelops-system'], kc);
    await kubectlOk(['label', 'namespace', 'modelops-system', 'pod-security.kubernetes.io/enforce=restricted'], kc);
    const install = await helm(['install', 'modelops', join(REPO_ROOT, 'charts/modelops'), '-n', 'modelops-system', '--set', 'image.pullPolicy=Never', '--wait', '--timeout', '120s'], kc);
    assert.equal(install.code, 0, install.stderr);

    const pods = JSON.parse(await kubectlOk(['get', 'pods', '-n', 'modelops-system', '-o', 'json'], kc));
    assert.equal(pods.items.length, 1);
    assert.equal(pods.items[0].status.phase, 'Running');
    assert.equal(pods.items[0].spec.containers[0].image, 'localhost/modelops/operator:0.1.0');

    await kubectlOk(['create', 'namespace', 'weather'], kc);
    await kubectlOk(['apply', '-n', 'weather', '-f', join(REPO_ROOT, 'examples/seattle-weather/04-inferenceservice.yaml')], kc);
    const status = await waitFor(
      'the InferenceService reconciled by the in-cluster operator',
      async () => {
        const o = JSON.parse(await kubectlOk(['get', 'misvc', 'seattle-weather', '-n', 'weather', '-o', 'json'], kc));
        return o.status?.url ? o.status : undefined;
      },
      60_000,
    );
    assert.equal(status.url, 'http://seattle-weather.weather.svc.cluster.local');
    const svc = JSON.parse(await kubectlOk(['get', 'service', 'seattle-weather', '-n', 'weather', '-o', 'json'], kc));
    assert.equal(svc.metadata.ownerReferences[0].kind, 'InferenceService');

    const logs = await kubectl(['logs', '-n', 'modelops-system', 'deploy/modelops'], kc);
    assert.match(logs.stdout, /"object":"weather\/seattle-weather".*"msg":"applied Service"/);
  });
});
