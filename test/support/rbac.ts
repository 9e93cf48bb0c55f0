// The operator's identity in tests: the ServiceAccount and RBAC rendered from the Helm
// chart, and a kubeconfig holding a token of that ServiceAccount, so a permission the chart
// lacks fails the test exactly as it would fail in a cluster.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { kubectlOk, kubeconfigPath } from './cluster.ts';
import { renderChart } from './helm.ts';
import type { K8sObject } from './helm.ts';

const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

/** Renders the chart into `namespace` with `values` and applies only its identity and permissions. */
export async function installChartRbac(namespace: string, values: object): Promise<{ serviceAccount: string; objects: K8sObject[] }> {
  const objects = (await renderChart(values, ['--namespace', namespace])).filter((o) => RBAC_KINDS.has(o.kind));
  const sa = objects.find((o) => o.kind === 'ServiceAccount');
  if (!sa) throw new Error('the chart renders no ServiceAccount');
  await kubectlOk(['apply', '-f', '-'], { input: objects.map((o) => dump(o)).join('---\n') });
  return { serviceAccount: sa.metadata.name, objects };
}

/** A kubeconfig that authenticates as the ServiceAccount with a short-lived token. */
export async function serviceAccountKubeconfig(namespace: string, serviceAccount: string): Promise<string> {
  const token = (await kubectlOk(['create', 'token', serviceAccount, '-n', namespace, '--duration=2h'])).trim();
  const admin = load(readFileSync(kubeconfigPath(), 'utf8')) as { clusters: Array<{ cluster: { server: string; 'certificate-authority': string } }> };
  const cluster = admin.clusters[0]!.cluster;
  const path = join(tmpdir(), `modelops-sa-${namespace}-${serviceAccount}.kubeconfig`);
  writeFileSync(
    path,
    dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster }],
      users: [{ name: serviceAccount, user: { token } }],
      contexts: [{ name: 'sa', context: { cluster: 'local', user: serviceAccount, namespace } }],
      'current-context': 'sa',
    }),
  );
  return path;
}
