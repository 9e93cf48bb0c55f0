// The operator's identity in tests: the ServiceAccount and RBAC rendered from the Helm
// chart, and a kubeconfig holding a token of that ServiceAccount, so a permission the chart
// lacks fails the test exactly as it would fail in a cluster.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dump, load, loadAll } from 'js-yaml';
import { kubectlOk, kubeconfigPath } from './cluster.ts';
import { REPO_ROOT } from './control-plane.ts';

const run = promisify(execFile);

export function helmBinary(env: NodeJS.ProcessEnv = process.env): string {
  const versions = readFileSync(join(REPO_ROOT, 'hack/versions.env'), 'utf8');
  const version = /^HELM_VERSION=(\S+)/m.exec(versions)?.[1];
  if (!version) throw new Error('HELM_VERSION missing from hack/versions.env');
  return join(env.MODELOPS_CACHE ?? join(homedir(), '.cache/modelops'), 'helm', version, 'bin/helm');
}

const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

/** Renders the chart into `namespace` and applies only its identity and permissions. */
export async function installChartRbac(namespace: string, release: string, values: string[] = []): Promise<{ serviceAccount: string; objects: Array<{ kind: string; metadata: { name: string } }> }> {
  const { stdout } = await run(helmBinary(), ['template', release, join(REPO_ROOT, 'charts/modelops'), '--namespace', namespace, ...values.flatMap((v) => ['--set', v])], {
    maxBuffer: 32 << 20,
  });
  const objects = (loadAll(stdout) as Array<{ kind: string; metadata: { name: string } } | null>).filter((o): o is { kind: string; metadata: { name: string } } => !!o && RBAC_KINDS.has(o.kind));
  const sa = objects.find((o) => o.kind === 'ServiceAccount');
  if (!sa) throw new Error('the chart renders no ServiceAccount');
  await kubectlOk(['apply', '-n', namespace, '-f', '-'], { input: objects.map((o) => dump(o)).join('---\n') });
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
