// What an integration test gets: the shared control plane's kubeconfig, a namespace of its
// own (deleted after the test), and kubectl exactly as a user would run it.
import { spawn } from 'node:child_process';
import { dump } from 'js-yaml';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { CustomObjectsApi as OperatorCustomObjectsApi, ObjectsApi } from '../../operator/runtime/client/apis.ts';
import { kubeconfigAccess } from '../../operator/runtime/client/config.ts';
import { KubeClient } from '../../operator/runtime/client/http.ts';
import { kubernetesBinDir } from './control-plane.ts';

export function kubeconfigPath(): string {
  const path = process.env.MODELOPS_TEST_KUBECONFIG;
  if (!path) {
    throw new Error('MODELOPS_TEST_KUBECONFIG is not set: run integration tests with `make test-integration` (its global setup starts a control plane)');
  }
  return path;
}

export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  return kc;
}

/** The operator's own API clients (runtime/client), on the test control plane. */
export async function operatorClients(): Promise<{ client: KubeClient; objects: ObjectsApi; custom: OperatorCustomObjectsApi }> {
  const client = new KubeClient(await kubeconfigAccess(kubeconfigPath()));
  return { client, objects: new ObjectsApi(client), custom: new OperatorCustomObjectsApi(client) };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the pinned kubectl against the test control plane; never throws on a non-zero exit. */
export interface KubectlOptions {
  input?: string;
  namespace?: string;
  /** Another control plane than the shared one. */
  kubeconfig?: string;
}

export function kubectl(args: string[], options: KubectlOptions = {}): Promise<KubectlResult> {
  const full = ['--kubeconfig', options.kubeconfig ?? kubeconfigPath(), ...(options.namespace ? ['-n', options.namespace] : []), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(join(kubernetesBinDir(), 'kubectl'), full, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Like kubectl(), but fails with kubectl's own message when the command fails. */
export async function kubectlOk(args: string[], options: KubectlOptions = {}): Promise<string> {
  const r = await kubectl(args, options);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/**
 * Creates a namespace for one test, labelled to enforce the restricted Pod Security
 * profile, and deletes it when the test ends.
 */
export async function testNamespace(t: TestContext, prefix = 'test'): Promise<string> {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  const slug = t.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 30).replace(/-$/, '');
  const name = `${prefix}-${slug}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({
    body: {
      metadata: {
        name,
        labels: { 'modelops.dev/test': 'true', 'pod-security.kubernetes.io/enforce': 'restricted' },
      },
    },
  });
  t.after(async () => {
    await core.deleteNamespace({ name }).catch((err: unknown) => {
      if ((err as { code?: number }).code !== 404) throw err;
    });
  });
  return name;
}

/**
 * Creates a namespace for a whole test file (deleted by the file's own after hook), labelled
 * as a test namespace and, unless `restricted` is false, enforcing the restricted Pod Security profile.
 */
export async function suiteNamespace(prefix: string, opts: { restricted?: boolean } = {}): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kubectlOk(['create', 'namespace', name]);
  const labels = ['modelops.dev/test=true', ...(opts.restricted === false ? [] : ['pod-security.kubernetes.io/enforce=restricted'])];
  await kubectlOk(['label', 'namespace', name, ...labels]);
  return name;
}

/** `kubectl apply` of the objects, as YAML, into `namespace`. */
export async function applyObjects(namespace: string, ...objects: object[]): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], { namespace, input: objects.map((o) => dump(o)).join('---\n') });
}

/** `kubectl get … -o json` in `namespace`, parsed; undefined when kubectl fails (e.g. not found). */
export async function getJsonIn(namespace: string, args: string[]): Promise<any> {
  const r = await kubectl([...args, '-o', 'json'], { namespace });
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
}
