// A control plane with a real node for the end-to-end stories, and images built locally
// with buildah (no registry is reachable) and imported into the node's containerd.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kubectlOk } from '../test/support/cluster.ts';
import { REPO_ROOT, startControlPlane, stopControlPlane } from '../test/support/control-plane.ts';
import { helm, valuesFile } from '../test/support/helm.ts';

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
      if (existsSync(join(dir, 'gateway'))) await run(join(REPO_ROOT, 'hack/gateway.sh'), ['down', '--dir', join(dir, 'gateway')]).catch(() => undefined);
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

/**
 * Starts the cluster's Gateway API implementation (hack/gateway.sh: Traefik on the node IP,
 * reading the API) with a Gateway `name` in `namespace`, and returns its URL; cluster.stop()
 * stops it too. Needs Traefik built (`make gateway`; see traefikMissing()).
 */
export async function startClusterGateway(cluster: Cluster, namespace: string, name: string): Promise<string> {
  try {
    const args = ['up', '--kubeconfig', cluster.kubeconfig, '--dir', join(cluster.dir, 'gateway'), '--address', '10.244.0.1', '--namespace', namespace, '--name', name];
    const { stdout } = await run(join(REPO_ROOT, 'hack/gateway.sh'), args, { maxBuffer: 16 << 20 });
    return stdout.trim().split('\n').at(-1)!;
  } catch (err) {
    throw new Error(`hack/gateway.sh up failed: ${(err as { stderr?: string }).stderr ?? err}`);
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

export interface Answer {
  time: number;
  status: number;
  /** model_version of the answer, when it was a prediction. */
  version?: string;
}

export interface ClusterLoad {
  answers: Answer[];
  /** Answers to requests sent at or after `time`. */
  since(time: number): Answer[];
  stop(): Promise<void>;
}

/**
 * Sends `rps` Open Inference Protocol requests a second to `url` (…/infer), each on its own
 * connection as many independent clients would: kube-proxy picks a Pod per connection, so a
 * kept-alive connection would stay on the Pods it first reached and never see a canary.
 */
export function sendLoad(url: string, body: () => object, rps = 20): ClusterLoad {
  const answers: Answer[] = [];
  const inflight = new Set<Promise<void>>();
  const send = (): void => {
    const time = Date.now();
    const payload = JSON.stringify(body());
    const done = new Promise<void>((resolve) => {
      const req = request(url, { method: 'POST', agent: false, timeout: 10_000, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let version: string | undefined;
          try {
            version = (JSON.parse(text) as { model_version?: string }).model_version;
          } catch {
            // Not JSON: no version to record.
          }
          answers.push({ time, status: res.statusCode ?? 0, version });
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        answers.push({ time, status: 0 });
        resolve();
      });
      req.end(payload);
    });
    inflight.add(done);
    void done.finally(() => inflight.delete(done));
  };
  const timer = setInterval(send, 1000 / rps);
  return {
    answers,
    since: (t) => answers.filter((a) => a.time >= t),
    async stop() {
      clearInterval(timer);
      await Promise.all(inflight);
    },
  };
}

/** Counts answers by `status` (0: no answer) and version, e.g. "200 v1: 57, 500: 3". */
export function tally(answers: Answer[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) {
    const key = a.status === 200 ? `200 v${a.version}` : String(a.status);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort().map(([k, n]) => `${k}: ${n}`).join(', ') || 'none';
}

/**
 * What a node failure does to a container: SIGKILL to its process, sent through the node's
 * containerd as the kernel's OOM killer or a crash would, not through the API. The kubelet
 * sees the container die and restarts it.
 */
export async function killContainer(cluster: Cluster, containerID: string): Promise<void> {
  const id = containerID.replace(/^containerd:\/\//, '');
  await run('ctr', ['--address', join(cluster.dir, 'node/containerd.sock'), '-n', 'k8s.io', 'tasks', 'kill', '--signal', 'SIGKILL', id]);
}

/**
 * Installs the chart as a platform team would on this node: the operator image from the
 * node's containerd, the artifact store `s3` with its credentials in a Secret `modelops-s3`
 * (in modelops-system and in each workload namespace, created with the restricted Pod
 * Security profile), and `prometheusUrl` as the rollouts' and drift's evidence.
 */
export async function installModelops(cluster: Cluster, s3: { bucket: string; env: Record<string, string> }, workloadNamespaces: string[], prometheusUrl: string): Promise<void> {
  const kc = { kubeconfig: cluster.kubeconfig };
  for (const ns of ['modelops-system', ...workloadNamespaces]) {
    await kubectlOk(['create', 'namespace', ns], kc);
    await kubectlOk(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted'], kc);
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'modelops-s3', namespace: ns }, type: 'Opaque', stringData: s3.env };
    await kubectlOk(['apply', '-f', '-'], { ...kc, input: JSON.stringify(secret) });
  }
  const values = valuesFile({
    image: { pullPolicy: 'Never' },
    artifactStore: `s3://${s3.bucket}`,
    artifactStoreSecret: 'modelops-s3',
    prometheusUrl,
    extraEnv: Object.keys(s3.env).map((name) => ({ name, valueFrom: { secretKeyRef: { name: 'modelops-s3', key: name } } })),
  });
  const install = await helm(['install', 'modelops', join(REPO_ROOT, 'charts/modelops'), '-n', 'modelops-system', '-f', values, '--wait', '--timeout', '120s'], kc);
  if (install.code !== 0) throw new Error(`helm install failed: ${install.stderr}`);
}
