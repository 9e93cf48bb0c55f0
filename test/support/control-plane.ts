// Starts and stops the local control plane of hack/control-plane.sh from TypeScript, and
// finds the pinned kubectl. Used by the integration tests' global setup.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO_ROOT = join(import.meta.dirname, '../..');

export function pinnedVersions(): Record<string, string> {
  const text = readFileSync(join(REPO_ROOT, 'hack/versions.env'), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.split('=', 2) as [string, string]),
  );
}

/** Why the Gateway API stories cannot run (the pinned Traefik is not built), or false when they can. */
export function traefikMissing(env: NodeJS.ProcessEnv = process.env): string | false {
  const version = pinnedVersions().TRAEFIK_VERSION ?? '';
  const binary = join(env.MODELOPS_CACHE ?? join(homedir(), '.cache/modelops'), 'traefik', version, 'bin/traefik');
  return existsSync(binary) ? false : `Traefik ${version} is not built (${binary}): run \`make gateway\``;
}

/** Directory of the pinned Kubernetes binaries, as hack/lib.sh computes it. */
export function kubernetesBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.MODELOPS_CACHE ?? join(homedir(), '.cache/modelops');
  return join(cache, 'kubernetes', pinnedVersions().KUBERNETES_VERSION ?? '', 'bin');
}

export interface ControlPlane {
  dir: string;
  kubeconfig: string;
}

export async function startControlPlane(dir: string): Promise<ControlPlane> {
  try {
    await run(join(REPO_ROOT, 'hack/control-plane.sh'), ['up', '--dir', dir], { maxBuffer: 64 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`hack/control-plane.sh up failed: ${e.stderr ?? e.message}`);
  }
  return { dir, kubeconfig: join(dir, 'admin.kubeconfig') };
}

export async function stopControlPlane(dir: string): Promise<void> {
  await run(join(REPO_ROOT, 'hack/control-plane.sh'), ['down', '--dir', dir]);
}
