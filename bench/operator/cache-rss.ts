// Child process of bench.ts: caches every InferenceService of a namespace with the operator's
// informer and API client and prints its resident memory once synced (after a full GC).
import { INFERENCE_SERVICES } from '../../operator/controllers/resources.ts';
import { CustomObjectsApi, ObjectsApi } from '../../operator/runtime/client/apis.ts';
import { kubeconfigAccess } from '../../operator/runtime/client/config.ts';
import { KubeClient } from '../../operator/runtime/client/http.ts';
import { realClock } from '../../operator/runtime/clock.ts';
import { silentLogger } from '../../operator/runtime/log.ts';
import { InformerSet } from '../../operator/runtime/resources.ts';

const [kubeconfig, namespace] = process.argv.slice(2) as [string, string];
const client = new KubeClient(await kubeconfigAccess(kubeconfig));
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const baseline = process.memoryUsage().rss;
const informers = new InformerSet(INFERENCE_SERVICES, {
  client,
  objects: new ObjectsApi(client),
  custom: new CustomObjectsApi(client),
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
