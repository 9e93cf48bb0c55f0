// Installs the CRDs from crds/ the way the README tells users to, and waits until the API
// server serves them.
import { join } from 'node:path';
import { REPO_ROOT } from './control-plane.ts';
import { kubectlOk } from './cluster.ts';

export async function installCrds(): Promise<void> {
  await kubectlOk(['apply', '--server-side', '--field-manager=modelops-tests', '-f', join(REPO_ROOT, 'crds')]);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '-l', 'app.kubernetes.io/part-of=modelops']);
}
