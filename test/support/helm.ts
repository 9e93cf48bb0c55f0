// Runs the pinned Helm (hack/build-helm.sh) on the chart, with Helm's own config, cache and
// data folders kept in a temporary folder so tests never read or write the user's.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { pinnedVersions, REPO_ROOT } from './control-plane.ts';

export const CHART_DIR = join(REPO_ROOT, 'charts/modelops');

/** The helm binary, as hack/lib.sh's HELM_BIN_DIR computes it. */
export function helmBin(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.MODELOPS_CACHE ?? join(homedir(), '.cache/modelops');
  return join(cache, 'helm', pinnedVersions().HELM_VERSION ?? '', 'bin', 'helm');
}

const home = mkdtempSync(join(tmpdir(), 'modelops-helm-'));

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm; never throws on a non-zero exit. */
export function helm(args: string[], options: { kubeconfig?: string } = {}): Promise<HelmResult> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
    ...(options.kubeconfig ? { KUBECONFIG: options.kubeconfig } : {}),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(helmBin(), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => reject(new Error(`cannot run ${helmBin()} (build it with \`make helm\`): ${err.message}`)));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

let valuesFiles = 0;

/** Writes `values` to a file for `--values` (YAML, so keys like "a.b" need no --set escaping). */
export function valuesFile(values: object): string {
  const path = join(home, `values-${++valuesFiles}.yaml`);
  writeFileSync(path, dump(values));
  return path;
}

export type K8sObject = Record<string, any> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } };

/**
 * `helm template` of the chart with `values`, parsed; throws with Helm's message when it fails.
 * CRDs are left out (`crds/` has its own tests).
 */
export async function renderChart(values: object = {}, extraArgs: string[] = []): Promise<K8sObject[]> {
  const r = await helm(['template', 'modelops', CHART_DIR, '--namespace', 'modelops-system', '--values', valuesFile(values), ...extraArgs]);
  if (r.code !== 0) throw new Error(`helm template failed (${r.code}): ${r.stderr}`);
  return (loadAll(r.stdout) as (K8sObject | null)[]).filter((o): o is K8sObject => o !== null);
}
