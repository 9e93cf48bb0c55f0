// An informer over more objects than one list page caches every one: built-in kinds come in
// one list, custom resources in pages of 500.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import { realClock } from '../../operator/runtime/clock.ts';
import { silentLogger } from '../../operator/runtime/log.ts';
import { InformerSet, LIST_PAGE_SIZE } from '../../operator/runtime/resources.ts';
import type { ResourceType } from '../../operator/runtime/resources.ts';
import { kubectlOk, operatorClients, testNamespace } from '../support/cluster.ts';

const COUNT = LIST_PAGE_SIZE + 37;

const kinds: Array<{ type: ResourceType; object: (name: string) => object }> = [
  {
    type: { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
    object: (name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: name } }),
  },
  {
    type: { group: 'modelops.dev', version: 'v1alpha1', kind: 'InferenceService', plural: 'inferenceservices' },
    object: (name) => ({ apiVersion: 'modelops.dev/v1alpha1', kind: 'InferenceService', metadata: { name }, spec: { model: { modelVersion: `${name}-v1` } } }),
  },
];

describe('an informer over more objects than one list page', () => {
  for (const { type, object } of kinds) {
    it(`caches all ${COUNT} ${type.plural} of a namespace`, async (t) => {
      const ns = await testNamespace(t, 'paging');
      const names = Array.from({ length: COUNT }, (_, i) => `obj-${i}`);
      await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: names.map((n) => dump(object(n))).join('---\n') });
      const informers = new InformerSet<KubernetesObject>(type, {
        ...(await operatorClients()),
        namespaces: [ns],
        clock: realClock,
        log: silentLogger,
        relistPeriodMs: 0,
      });
      t.after(() => informers.stop());
      await informers.start();
      const cached = informers.list(ns).map((o) => o.metadata!.name!).filter((n) => n.startsWith('obj-'));
      assert.equal(cached.length, COUNT);
      assert.ok(informers.get(ns, `obj-${COUNT - 1}`), 'the last page is in the cache');
      assert.equal(informers.get(ns, 'obj-0')?.metadata?.managedFields, undefined, 'managedFields are trimmed');
    });
  }
});
