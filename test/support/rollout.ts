// What a node, a gateway and Prometheus's Kubernetes discovery do for a rollout, on a control
// plane without a node. For every revision Deployment of an InferenceService the harness runs
// the real model server (runtime-images/server) as a local process with the Deployment's own
// environment, adds it to Prometheus's targets with the Pod's revision label, and reports the
// revision's Pods Ready once the server is. The load generator plays the gateway: it reads the
// operator's HTTPRoute weights and sends each request to a backend in exactly those shares
// (smooth weighted round robin), with real prediction requests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { kubeConfig } from './cluster.ts';
import { REPO_ROOT } from './control-plane.ts';
import { freePort, type PrometheusServer } from './prometheus.ts';
import { SEATTLE_CSV } from './seattle.ts';

const SERVER_MAIN = join(REPO_ROOT, 'runtime-images/server/src/main.ts');
const MODELS = join(REPO_ROOT, 'runtime-images/server/test/fixtures/models');
const LABEL_REVISION = 'modelops.dev/revision';

interface Running {
  env: Record<string, string>;
  child: ChildProcess;
  port: number;
  ready: boolean;
  dir: string;
  log: string;
}

export interface RevisionRunner {
  /** host:port of a revision's server, once it is ready. */
  address(revision: string): string | undefined;
  /** The environment a revision's server runs with (its Deployment's): which model it serves. */
  env(revision: string): Record<string, string> | undefined;
  /** Revisions whose server runs now. */
  running(): string[];
  stop(): Promise<void>;
}

/**
 * Runs the servers of every revision Deployment in `namespace`, and keeps Prometheus's targets
 * and the Pods' readiness in step. `baseEnv` is what a Pod gets besides its container's `env`
 * (e.g. the artifact store's credentials by envFrom, or WORKERS); the Deployment's env wins.
 */
export function runRevisions(namespace: string, prometheus: PrometheusServer, intervalMs = 250, baseEnv: Record<string, string> = {}): RevisionRunner {
  const kc = kubeConfig();
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const servers = new Map<string, Running>();
  let stopped = false;
  let targets = '';

  const start = async (d: V1Deployment): Promise<void> => {
    const name = d.metadata!.name!;
    const env: Record<string, string> = {};
    for (const e of d.spec?.template?.spec?.containers?.[0]?.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    const dir = await mkdtemp(join(tmpdir(), `modelops-rev-${name}-`));
    const port = await freePort();
    const child = spawn(process.execPath, [SERVER_MAIN], {
      cwd: join(REPO_ROOT, 'runtime-images/server'),
      env: { PATH: process.env.PATH ?? '', ...baseEnv, ...env, HOST: '127.0.0.1', PORT: String(port), MODEL_CACHE_DIR: dir, TMPDIR: dir, SHUTDOWN_DRAIN_DELAY_MS: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const run: Running = { env, child, port, ready: false, dir, log: '' };
    child.stderr!.on('data', (b: Buffer) => (run.log = (run.log + b.toString()).slice(-4000)));
    servers.set(name, run);
  };

  const markReady = async (pod: V1Pod): Promise<void> => {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const status = {
      phase: 'Running',
      startTime: now,
      conditions: ['Initialized', 'ContainersReady', 'Ready', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: now })),
      containerStatuses: [{ name: 'server', image: pod.spec!.containers[0]!.image!, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } }],
    };
    await core.patchNamespacedPodStatus({ name: pod.metadata!.name!, namespace, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  };

  const tick = async (): Promise<void> => {
    const deployments = (await apps.listNamespacedDeployment({ namespace, labelSelector: LABEL_REVISION })).items.filter((d) => !d.metadata?.deletionTimestamp);
    const wanted = new Set(deployments.map((d) => d.metadata!.name!));
    for (const d of deployments) if (!servers.has(d.metadata!.name!)) await start(d);
    for (const [name, run] of servers) {
      if (!wanted.has(name)) {
        servers.delete(name);
        run.child.kill('SIGKILL');
        await rm(run.dir, { recursive: true, force: true });
        continue;
      }
      if (!run.ready) {
        const res = await fetch(`http://127.0.0.1:${run.port}/v2/health/ready`).catch(() => undefined);
        run.ready = res?.ok === true;
      }
    }
    const list = [...servers].filter(([, r]) => r.ready).map(([name, r]) => ({ address: `127.0.0.1:${r.port}`, labels: { revision: name } }));
    const text = JSON.stringify(list);
    if (text !== targets) {
      await prometheus.setTargets(list);
      targets = text;
    }
    const pods = (await core.listNamespacedPod({ namespace, labelSelector: LABEL_REVISION })).items;
    for (const pod of pods) {
      const run = servers.get(pod.metadata!.labels![LABEL_REVISION]!);
      const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      if (run?.ready && !ready && !pod.metadata?.deletionTimestamp) await markReady(pod);
    }
  };

  const loop = (async () => {
    while (!stopped) {
      await tick().catch((err: unknown) => process.stderr.write(`# revision runner: ${(err as Error).message}\n`));
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();

  return {
    address: (revision) => {
      const r = servers.get(revision);
      return r?.ready ? `127.0.0.1:${r.port}` : undefined;
    },
    env: (revision) => servers.get(revision)?.env,
    running: () => [...servers.keys()],
    async stop() {
      stopped = true;
      await loop;
      for (const run of servers.values()) {
        run.child.kill('SIGKILL');
        await rm(run.dir, { recursive: true, force: true });
      }
      servers.clear();
    },
  };
}

export interface LoadSample {
  time: number;
  revision: string;
  status: number;
}

export interface LoadGenerator {
  samples: LoadSample[];
  /** The route's weights as last read, by backend Service (= revision) name. */
  weights(): Record<string, number>;
  /** Copies sent to the route's mirror so far. */
  mirrored(): number;
  /** When the route's weights were last seen to change, and to what. */
  changes: { time: number; weights: Record<string, number> }[];
  stop(): Promise<void>;
}

/**
 * Sends `rps` requests a second through the InferenceService's HTTPRoute `route`, split by its
 * weights; `request(revision)` names the model that revision serves and builds a request for it.
 */
export function generateLoad(namespace: string, route: string, runner: RevisionRunner, request: (revision: string) => { model: string; body: object }, rps = 40): LoadGenerator {
  const custom = kubeConfig().makeApiClient(CustomObjectsApi);
  const samples: LoadSample[] = [];
  const changes: LoadGenerator['changes'] = [];
  let weights: Record<string, number> = {};
  let mirror: { name: string; percent: number } | undefined;
  let mirrorCredit = 0;
  const credit = new Map<string, number>();
  let stopped = false;
  let mirrored = 0;

  const readRoute = (async () => {
    while (!stopped) {
      try {
        const r = (await custom.getNamespacedCustomObject({ group: 'gateway.networking.k8s.io', version: 'v1', namespace, plural: 'httproutes', name: route })) as {
          spec: { rules: { backendRefs: { name: string; weight?: number }[]; filters?: { type: string; requestMirror?: { backendRef: { name: string }; percent?: number } }[] }[] };
        };
        const next: Record<string, number> = {};
        for (const rule of r.spec.rules) for (const b of rule.backendRefs) if ((b.weight ?? 1) > 0) next[b.name] = b.weight ?? 1;
        const m = r.spec.rules.flatMap((rule) => rule.filters ?? []).find((f) => f.type === 'RequestMirror')?.requestMirror;
        mirror = m ? { name: m.backendRef.name, percent: m.percent ?? 100 } : undefined;
        if (JSON.stringify(next) !== JSON.stringify(weights)) {
          weights = next;
          changes.push({ time: Date.now(), weights: next });
        }
      } catch {
        // No route yet.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  /** Smooth weighted round robin: every backend gains its weight, the richest is picked and pays the total. */
  const pick = (): string | undefined => {
    const entries = Object.entries(weights);
    if (!entries.length) return undefined;
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let best: string | undefined;
    for (const [name, w] of entries) {
      credit.set(name, (credit.get(name) ?? 0) + w);
      if (best === undefined || credit.get(name)! > credit.get(best)!) best = name;
    }
    credit.set(best!, credit.get(best!)! - total);
    return best;
  };

  const send = async (): Promise<void> => {
    const revision = pick();
    const address = revision ? runner.address(revision) : undefined;
    if (!revision || !address) return;
    const time = Date.now();
    const { model, body } = request(revision);
    const post = (to: string, name: string) =>
      fetch(`http://${to}/v2/models/${encodeURIComponent(name)}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // A mirror gets a copy of `percent` percent of the requests; its answer is dropped, as a gateway does.
    const copyTo = mirror && mirror.name !== revision ? runner.address(mirror.name) : undefined;
    if (mirror && copyTo) {
      mirrorCredit += mirror.percent;
      if (mirrorCredit >= 100) {
        mirrorCredit -= 100;
        mirrored++;
        void post(copyTo, runner.env(mirror.name)?.MODEL_NAME ?? model)
          .then((r) => r.arrayBuffer())
          .catch(() => undefined);
      }
    }
    const res = await post(address, model).catch(() => undefined);
    await res?.arrayBuffer().catch(() => undefined);
    samples.push({ time, revision, status: res?.status ?? 0 });
  };

  const timer = setInterval(() => void send(), 1000 / rps);
  return {
    samples,
    changes,
    weights: () => weights,
    mirrored: () => mirrored,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await readRoute;
    },
  };
}

/** The server's fixture models (runtime-images/server/test/fixtures/make_models.py). */
export type Fixture = 'classifier' | 'classifier-shifted' | 'classifier-broken' | 'failing';

/** A ModelVersion `<model>-v<n>` of a server fixture model (classifier: good; failing and classifier-broken: fail at run time on real inputs). */
export async function fixtureVersion(name: string, fixture: Fixture, aliases: string[] = []) {
  const [, model, n] = /^(.*)-v(\d+)$/.exec(name)!;
  const file = join(MODELS, fixture, 'model.onnx');
  const digest = `sha256:${createHash('sha256').update(await readFile(file)).digest('hex')}`;
  // The ModelVersion keeps names, types and shapes; the server reads the rest from signature.json.
  const full = JSON.parse(await readFile(join(MODELS, fixture, 'signature.json'), 'utf8'));
  const tensor = (t: { name: string; datatype: string; shape: number[] }) => ({ name: t.name, datatype: t.datatype, shape: t.shape });
  const signature = { inputs: full.inputs.map(tensor), outputs: full.outputs.map(tensor) };
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'ModelVersion',
    metadata: { name },
    spec: { model, version: Number(n), signature, artifact: { uri: pathToFileURL(file).href, digest }, ...(aliases.length ? { aliases } : {}) },
  };
}

/**
 * Days of the Seattle weather sample, as the classifier's inputs ([precipitation, temp_max,
 * temp_min, wind], month), in a fixed shuffled order: in date order, a few seconds of requests
 * are one season, and two revisions scraped a moment apart would see different predictions.
 */
export function seattleDays(): { x: number[]; month: number }[] {
  const [, ...lines] = readFileSync(SEATTLE_CSV, 'utf8').trim().split('\n');
  const days = lines.map((line) => {
    const [date, p, tmax, tmin, wind] = line.split(',');
    return { x: [Number(p), Number(tmax), Number(tmin), Number(wind)], month: Number(date!.slice(5, 7)) };
  });
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = days.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [days[i], days[j]] = [days[j]!, days[i]!];
  }
  return days;
}

/** Real requests for the model a revision serves: the Seattle days in turn for a classifier, a batch the failing model cannot reshape. */
export function fixtureRequest(runner: RevisionRunner, fallbackModel: string) {
  const days = seattleDays();
  let next = 0;
  return (revision: string) => {
    const env = runner.env(revision);
    const model = env?.MODEL_NAME ?? fallbackModel;
    const failing = env?.MODEL_URI?.includes('/failing/');
    const body = failing
      ? { inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 1], data: [2, 3] }] }
      : {
          inputs: [
            { name: 'x', datatype: 'FP32', shape: [1, 4], data: days[next % days.length]!.x },
            { name: 'month', datatype: 'INT64', shape: [1, 1], data: [days[next++ % days.length]!.month] },
          ],
        };
    return { model, body };
  };
}
