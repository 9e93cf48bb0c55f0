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

/** The pinned Gateway API's CRDs the operator reads or writes (hack/gateway-api.sh), waited for until served. */
export async function installGatewayApiCrds(): Promise<void> {
  const dir = execFileSync(join(REPO_ROOT, 'hack/gateway-api.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const kinds = ['gatewayclasses', 'gateways', 'httproutes'];
  await kubectlOk(['apply', '--server-side', '--field-manager=modelops-tests', ...kinds.flatMap((k) => ['-f', join(dir, `gateway.networking.k8s.io_${k}.yaml`)])]);
  // `kubectl wait` fails outright while a CRD has no conditions yet: poll instead.
  for (const k of kinds) {
    await waitFor(`the ${k} CRD Established`, async () => {
      const r = await kubectl(['get', 'crd', `${k}.gateway.networking.k8s.io`, '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']);
      return r.stdout.trim() === 'True';
    }, 60_000);
  }
}
