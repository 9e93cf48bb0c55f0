// Benchmark of the controller runtime on a real local control plane, with 1,000 and 10,000
// objects. Every figure is a ratio against a bound measured or computed in the same run.
//
//   node --expose-gc bench/operator/bench.ts [--sizes=1000,10000] [--out=FILE]
//
// 1. Drain: N keys re-queued through the work queue's own rate limit (the self-imposed limit:
//    qps Q, burst B) and reconciled by no-op reconciles; the bound is (N - B) / Q.
// 2. Latency: objects patched at 50 per second; time from the client's write to the start of
//    the reconcile that sees it (watch delivery + informer + queue), p50 and p99, beside the
//    time the API server took to answer each write (its share of that latency).
// 3. Memory: RSS of a process caching N objects of about 2 KB each.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig, setHeaderOptions } from '@kubernetes/client-node';
import { INFERENCE_SERVICES } from '../../operator/controllers/resources.ts';
import { CustomObjectsApi as OperatorCustomObjectsApi, ObjectsApi } from '../../operator/runtime/client/apis.ts';
import { kubeconfigAccess } from '../../operator/runtime/client/config.ts';
import { KubeClient } from '../../operator/runtime/client/http.ts';
import { realClock } from '../../operator/runtime/clock.ts';
import { Controller } from '../../operator/runtime/controller.ts';
import type { ObjectKey } from '../../operator/runtime/controller.ts';
import { silentLogger } from '../../operator/runtime/log.ts';
import { OperatorMetrics } from '../../operator/runtime/metrics.ts';
import { InformerSet } from '../../operator/runtime/resources.ts';
import { WorkQueue } from '../../operator/runtime/queue.ts';
import { startControlPlane, stopControlPlane, kubernetesBinDir } from '../../test/support/control-plane.ts';

const run = promisify(execFile);
const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1000,10000' }, out: { type: 'string', default: '' } } });
const sizes = values.sizes.split(',').map(Number);

// The Node flags between "node" and the script in the image's ENTRYPOINT: what ships is measured.
const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(import.meta.dirname, '../../Dockerfile'), 'utf8'))?.[1];
const IMAGE_NODE_FLAGS = (JSON.parse(entrypoint ?? '[]') as string[]).filter((a) => a.startsWith('--'));

const GROUP = { group: 'modelops.dev', version: 'v1alpha1', plural: 'inferenceservices' };
const PAD = 'x'.repeat(1500); // with the rest of the object, about 2 KB as JSON

function object(name: string) {
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'InferenceService',
    metadata: { name, annotations: { 'bench.modelops.dev/pad': PAD } },
    spec: { model: { modelVersion: `${name}-v1` }, replicas: 1 },
  };
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (i < items.length) await fn(items[i++]!);
  }));
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const dir = join(mkdtempSync(join(tmpdir(), 'modelops-bench-')), 'cluster');
const cp = await startControlPlane(dir);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopControlPlane(dir).finally(() => process.exit(130)));
}
const kc = new KubeConfig();
kc.loadFromFile(cp.kubeconfig);
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);
// The operator's informer reads through the operator's own client; the load comes from client-node.
const client = new KubeClient(await kubeconfigAccess(cp.kubeconfig));
await run(join(kubernetesBinDir(), 'kubectl'), ['--kubeconfig', cp.kubeconfig, 'apply', '--server-side', '-f', join(import.meta.dirname, '../../crds')]);
await run(join(kubernetesBinDir(), 'kubectl'), ['--kubeconfig', cp.kubeconfig, 'wait', '--for=condition=Established', 'crd', '-l', 'app.kubernetes.io/part-of=modelops']);

const results: Record<string, unknown>[] = [];
try {
  for (const n of sizes) {
    const ns = `bench-${n}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const t0 = Date.now();
    await pool(Array.from({ length: n }, (_, i) => `isvc-${i}`), 32, (name) => custom.createNamespacedCustomObject({ ...GROUP, namespace: ns, body: object(name) }));
    const createSeconds = (Date.now() - t0) / 1000;
    const size = JSON.stringify(object('isvc-0')).length;

    // Informer over the namespace, shared by the drain and latency measurements.
    const informers = new InformerSet<ReturnType<typeof object> & { metadata: { namespace?: string; annotations?: Record<string, string> } }>(INFERENCE_SERVICES, {
      client,
      objects: new ObjectsApi(client),
      custom: new OperatorCustomObjectsApi(client),
      namespaces: [ns],
      clock: realClock,
      log: silentLogger,
      relistPeriodMs: 0,
    });
    const syncStart = Date.now();
    await informers.start();
    const syncSeconds = (Date.now() - syncStart) / 1000;

    // 1. Drain against the queue's own limit.
    const qps = n >= 10000 ? 2000 : 500;
    const burst = 100;
    const queue = new WorkQueue({ clock: realClock, retryQps: qps, retryBurst: burst, retryBaseMs: 1, retryMaxMs: 1 });
    let reconciled = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((r) => (done = r));
    const workers = Array.from({ length: 4 }, async () => {
      for (;;) {
        const key = await queue.get();
        if (key === undefined) return;
        const [namespace, name] = key.split('/') as [string, string];
        if (informers.get(namespace, name)) reconciled++; // a no-op reconcile reads its object from the cache
        queue.done(key);
        if (reconciled === n) done();
      }
    });
    const drainStart = Date.now();
    for (const o of informers.list()) queue.addRateLimited(`${o.metadata.namespace}/${o.metadata.name}`);
    await finished;
    const drainSeconds = (Date.now() - drainStart) / 1000;
    await queue.shutDownWithDrain();
    await Promise.all(workers);
    const drainBound = Math.max(0, n - burst) / qps;

    // 2. Watch event to reconcile start, at 50 writes per second.
    const latencies: number[] = [];
    const metrics = new OperatorMetrics({ processMetrics: false });
    const controller = new Controller({
      name: 'bench',
      workers: 4,
      clock: realClock,
      log: silentLogger,
      metrics,
      reconciler: {
        async reconcile(key: ObjectKey) {
          const o = informers.get(key.namespace, key.name);
          const sent = Number(o?.metadata.annotations?.['bench.modelops.dev/sent']);
          if (sent) latencies.push(Date.now() - sent);
        },
      },
    });
    informers.onChange((o, change) => {
      if (change === 'update') controller.enqueue(`${o.metadata.namespace}/${o.metadata.name}`);
    });
    controller.start();
    const writes = 500;
    const interval = 1000 / 50;
    const writeStart = Date.now();
    const pending: Promise<unknown>[] = [];
    // The API server's own answer time per write: what part of the latency is the server's.
    const acks: number[] = [];
    for (let i = 0; i < writes; i++) {
      const due = writeStart + i * interval;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const name = `isvc-${(i * 7919) % n}`;
      const sent = Date.now();
      pending.push(
        custom
          .patchNamespacedCustomObject(
            { ...GROUP, namespace: ns, name, body: { metadata: { annotations: { 'bench.modelops.dev/sent': String(sent) } } } },
            setHeaderOptions('Content-Type', 'application/merge-patch+json'),
          )
          .then(() => acks.push(Date.now() - sent)),
      );
    }
    await Promise.all(pending);
    const until = Date.now() + 10_000;
    while (latencies.length < writes && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    await controller.stop();
    await informers.stop();
    latencies.sort((a, b) => a - b);
    acks.sort((a, b) => a - b);

    // 3. Memory of a process that caches the namespace, with Node's defaults and with the
    //    V8 flags the image runs the operator with (read from the Dockerfile's ENTRYPOINT).
    const measure = async (flags: string[]) => {
      const out = await run(process.execPath, ['--expose-gc', ...flags, join(import.meta.dirname, 'cache-rss.ts'), cp.kubeconfig, ns], { maxBuffer: 1 << 20 });
      return JSON.parse(out.stdout) as { objects: number; rss: number; heapUsed: number; baselineRss: number };
    };
    const mem = await measure([]);
    const memSmall = await measure(IMAGE_NODE_FLAGS);

    const r = {
      objects: n,
      objectBytes: size,
      createSeconds,
      syncSeconds,
      drainSeconds,
      drainBoundSeconds: drainBound,
      drainRatio: drainSeconds / drainBound,
      queueQps: qps,
      latencySamples: latencies.length,
      latencyP50Ms: quantile(latencies, 0.5),
      latencyP99Ms: quantile(latencies, 0.99),
      writeAckP50Ms: quantile(acks, 0.5),
      writeAckP99Ms: quantile(acks, 0.99),
      rssMB: mem.rss / 2 ** 20,
      baselineRssMB: mem.baselineRss / 2 ** 20,
      heapUsedMB: mem.heapUsed / 2 ** 20,
      imageNodeFlags: IMAGE_NODE_FLAGS.join(' '),
      rssImageFlagsMB: memSmall.rss / 2 ** 20,
      baselineRssImageFlagsMB: memSmall.baselineRss / 2 ** 20,
    };
    results.push(r);
    console.log(JSON.stringify(r));
  }
} finally {
  await stopControlPlane(dir);
}

const by = (n: number) => results.find((r) => r.objects === n) as Record<string, number> | undefined;
const small = by(1000);
const big = by(10000);
const summary = {
  results,
  rssRatio10kTo1k: small && big ? big.rssMB! / small.rssMB! : undefined,
  rssRatio10kTo1kImageFlags: small && big ? big.rssImageFlagsMB! / small.rssImageFlagsMB! : undefined,
};
console.log(JSON.stringify(summary, null, 2));
if (values.out) writeFileSync(values.out, JSON.stringify(summary, null, 2));
