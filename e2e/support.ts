// A control plane with a real node for the end-to-end stories, and images built locally
// with buildah (no registry is reachable) and imported into the node's containerd.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, startControlPlane, stopControlPlane } from '../test/support/control-plane.ts';

const run = promisify(execFile);

export interface Cluster {
  dir: string;
  kubeconfig: string;
  stop(): Promise<void>;
}

export async function startCluster(): Promise<Cluster> {
  const dir = join(mkdtempSync(join(tmpdir(), 'modelops-e2e-')), 'cluster');
  const cp = await startControlPlane(dir);
  try {
    await run(join(REPO_ROOT, 'hack/node.sh'), ['up', '--dir', dir], { maxBuffer: 16 << 20 });
  } catch (err) {
    // What did start (containerd, CoreDNS, the bridge) is stopped with the node.
    await run(join(REPO_ROOT, 'hack/node.sh'), ['down', '--dir', dir]).catch(() => undefined);
    await stopControlPlane(dir);
    throw new Error(`hack/node.sh up failed: ${(err as { stderr?: string }).stderr ?? err}`);
  }
  return {
    dir,
    kubeconfig: cp.kubeconfig,
    stop: async () => {
      await run(join(REPO_ROOT, 'hack/prometheus.sh'), ['down', '--dir', dir]).catch(() => undefined);
      await run(join(REPO_ROOT, 'hack/node.sh'), ['down', '--dir', dir]).catch(() => undefined);
      await stopControlPlane(dir);
    },
  };
}

/**
 * Starts the cluster's Prometheus (hack/prometheus.sh: Kubernetes discovery of the model server
 * Pods) on the node IP and returns its URL; cluster.stop() stops it too.
 */
export async function startClusterPrometheus(cluster: Cluster, scrapeInterval = '1s'): Promise<string> {
  try {
    const { stdout } = await run(join(REPO_ROOT, 'hack/prometheus.sh'), ['up', '--dir', cluster.dir, '--scrape-interval', scrapeInterval], { maxBuffer: 16 << 20 });
    return stdout.trim().split('\n').at(-1)!;
  } catch (err) {
    throw new Error(`hack/prometheus.sh up failed: ${(err as { stderr?: string }).stderr ?? err}`);
  }
}

/** Builds a static Go program into an image FROM scratch (cached by source hash) and loads it into the node. */
export async function goImage(cluster: Cluster, name: string, sourceDir: string): Promise<string> {
  const source = readFileSync(join(sourceDir, 'main.go'));
  const tag = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const ref = `localhost/modelops-e2e/${name}:${tag}`;
  const cache = join(process.env.MODELOPS_CACHE ?? join(homedir(), '.cache/modelops'), 'images');
  const archive = join(cache, `e2e-${name}-${tag}.tar`);
  if (!existsSync(archive)) {
    mkdirSync(cache, { recursive: true });
    const build = mkdtempSync(join(tmpdir(), `modelops-e2e-${name}-`));
    const env = { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' };
    await run('cp', [join(sourceDir, 'main.go'), build]);
    await run('go', ['mod', 'init', name], { cwd: build, env });
    await run('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', name, '.'], { cwd: build, env });
    const { stdout: c } = await run('buildah', ['from', 'scratch']);
    const container = c.trim();
    await run('buildah', ['copy', container, join(build, name), `/${name}`]);
    await run('buildah', ['config', '--entrypoint', `["/${name}"]`, '--user', '65532:65532', container]);
    await run('buildah', ['commit', '-q', container, ref]);
    await run('buildah', ['rm', container]);
    await run('buildah', ['push', '-q', ref, `oci-archive:${archive}.tmp:${ref}`]);
    await run('mv', [`${archive}.tmp`, archive]);
  }
  await run('ctr', ['--address', join(cluster.dir, 'node/containerd.sock'), '-n', 'k8s.io', 'images', 'import', archive]);
  return ref;
}

/** Builds (or reuses) one of the project's images with hack/images.sh and loads it into the node. */
export async function loadProjectImage(cluster: Cluster, image: 'operator' | 'trainer' | 'server'): Promise<void> {
  try {
    await run(join(REPO_ROOT, 'hack/images.sh'), ['load', image, '--dir', cluster.dir], { maxBuffer: 64 << 20 });
  } catch (err) {
    throw new Error(`hack/images.sh load ${image} failed: ${(err as { stderr?: string }).stderr ?? err}`);
  }
}
