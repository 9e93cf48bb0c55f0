// Global setup of the integration tests: one real control plane for the whole run (or the
// one named by MODELOPS_TEST_KUBECONFIG), with our CRDs and the Gateway API's GatewayClass, Gateway and HTTPRoute installed. Each test file then makes
// its own namespaces (test/support/cluster.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCrds, installGatewayApiCrds } from '../support/crds.ts';
import { startControlPlane, stopControlPlane } from '../support/control-plane.ts';

let startedDir: string | undefined;

export async function globalSetup(): Promise<void> {
  if (!process.env.MODELOPS_TEST_KUBECONFIG) {
    startedDir = join(mkdtempSync(join(tmpdir(), 'modelops-test-')), 'cluster');
    const cp = await startControlPlane(startedDir);
    process.env.MODELOPS_TEST_KUBECONFIG = cp.kubeconfig;
  }
  await installCrds();
  // The operator's RBAC and its GatewayAPI traffic provider name them: every test file sees them.
  await installGatewayApiCrds();
}

export async function globalTeardown(): Promise<void> {
  if (startedDir && !process.env.MODELOPS_KEEP_CLUSTER) await stopControlPlane(startedDir);
}
