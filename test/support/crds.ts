// Installs the CRDs from crds/ the way the README tells users to, and waits until the API
// server serves them.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './control-plane.ts';
import { kubectl, kubectlOk } from './cluster.ts';
import { waitFor } from './wait.ts';

export async function installCrds(): Promise<void> {
  await kubectlOk(['apply', '--server-side', '--field-manager=modelops-tests', '-f', join(REPO_ROOT, 'crds')]);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '-l', 'app.kubernetes.io/part-of=modelops']);
}

/** Installs the pinned Gateway API's HTTPRoute CRD (hack/gateway-api.sh) and waits until it is served. */
export async function installHttpRouteCrd(): Promise<void> {
  const dir = execFileSync(join(REPO_ROOT, 'hack/gateway-api.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  await kubectlOk(['apply', '--server-side', '--field-manager=modelops-tests', '-f', join(dir, 'gateway.networking.k8s.io_httproutes.yaml')]);
  // `kubectl wait` fails outright while the CRD has no conditions yet: poll instead.
  await waitFor('the HTTPRoute CRD Established', async () => {
    const r = await kubectl(['get', 'crd', 'httproutes.gateway.networking.k8s.io', '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']);
    return r.stdout.trim() === 'True';
  }, 60_000);
}
