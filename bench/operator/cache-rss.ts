// Child process of bench.ts: caches every InferenceService of a namespace with the operator's
// informer and prints its resident memory once synced (after a full GC).
import { CustomObjectsApi, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { realClock } from '../../operator/runtime/clock.ts';
import { silentLogger } from '../../operator/runtime/log.ts';
import { InformerSet } from '../../operator/runtime/resources.ts';
import { INFERENCE_SERVICES } from '../../operator/controllers/resources.ts';

const [kubeconfig, namespace] = process.argv.slice(2) as [string, string];
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const baseline = process.memoryUsage().rss;
const informers = new InformerSet(INFERENCE_SERVICES, {
  kubeConfig: kc,
  objects: KubernetesObjectApi.makeApiClient(kc),
      custom: kc.makeApiClient(CustomObjectsApi),
  namespaces: [namespace],
  clock: realClock,
  log: silentLogger,
  relistPeriodMs: 0,
});
await informers.start();
for (let i = 0; i < 3; i++) {
  gc?.();
  await new Promise((r) => setTimeout(r, 200));
}
const mem = process.memoryUsage();
process.stdout.write(JSON.stringify({ objects: informers.list().length, rss: mem.rss, heapUsed: mem.heapUsed, baselineRss: baseline }) + '\n');
await informers.stop();
process.exit(0);
