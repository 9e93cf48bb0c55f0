// Outages of the API server itself. This file starts a control plane of its own, since it
// stops kube-apiserver under the operator's feet.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { dump } from 'js-yaml';
import { kubectl, kubectlOk } from '../support/cluster.ts';
import { REPO_ROOT, startControlPlane, stopControlPlane } from '../support/control-plane.ts';
import type { ControlPlane } from '../support/control-plane.ts';
import { startOperator } from '../support/operator.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
let cp: ControlPlane;

before(async () => {
  cp = await startControlPlane(join(mkdtempSync(join(tmpdir(), 'modelops-outage-')), 'cluster'));
  await kubectlOk(['apply', '--server-side', '-f', join(REPO_ROOT, 'crds')], { kubeconfig: cp.kubeconfig });
  await kubectlOk(['wait', '--for=condition=Established', 'crd', '-l', 'app.kubernetes.io/part-of=modelops'], { kubeconfig: cp.kubeconfig });
  await kubectlOk(['create', 'namespace', 'outage'], { kubeconfig: cp.kubeconfig });
});

after(async () => {
  if (cp) await stopControlPlane(cp.dir);
});

const component = (verb: 'stop' | 'start') => run(join(REPO_ROOT, 'hack/control-plane.sh'), [`${verb}-component`, 'kube-apiserver', '--dir', cp.dir]);

function isvc(name: string) {
  return dump({ apiVersion: 'modelops.dev/v1alpha1', kind: 'InferenceService', metadata: { name }, spec: { model: { modelVersion: `${name}-v1` } } });
}

const hasService = (name: string) => async () => (await kubectl(['get', 'service', name], { namespace: 'outage', kubeconfig: cp.kubeconfig })).code === 0;

describe('when kube-apiserver stops and starts again', () => {
  it('the informers recover and reconciliation resumes', async (t) => {
    const op = await startOperator({ kubeconfig: cp.kubeconfig, args: ['--namespaces=outage'] });
    t.after(() => op.kill());
    await kubectlOk(['apply', '-f', '-'], { namespace: 'outage', kubeconfig: cp.kubeconfig, input: isvc('before') });
    await waitFor('the Service made before the outage', hasService('before'));

    await component('stop');
    await waitFor('the operator to notice', () => op.logs(/watch failed; restarting/).length > 0, 20_000);
    await new Promise((r) => setTimeout(r, 3000));
    const ready = await fetch(`http://127.0.0.1:${op.probePort}/healthz`);
    assert.equal(ready.status, 200, 'liveness does not depend on the API server');
    await component('start');
    await waitFor('the API server back', async () => (await kubectl(['get', 'ns', 'outage'], { kubeconfig: cp.kubeconfig })).code === 0, 60_000, 500);

    await kubectlOk(['apply', '-f', '-'], { namespace: 'outage', kubeconfig: cp.kubeconfig, input: isvc('after') });
    await waitFor('the Service made after the outage', hasService('after'), 60_000);
    assert.match(await op.metrics(), /modelops_informer_restarts_total\{informer="inferenceservices\/outage"\} [1-9]/);
  });
});
