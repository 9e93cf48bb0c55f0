// Wiring of the ModelVersion controller: its informer, its handler, its reconciler.
import type { ModelVersion } from '../../api/v1alpha1/types.ts';
import { ArtifactReader } from '../../artifacts/resolve.ts';
import { Controller, keyOf } from '../../runtime/controller.ts';
import { listAll } from '../../runtime/resources.ts';
import type { ControllerContext } from '../context.ts';
import { ModelVersionReconciler } from './reconcile.ts';
import { MODEL_VERSIONS } from '../resources.ts';

export function modelVersionController(ctx: ControllerContext) {
  const options = ctx.informerOptions();
  const versions = ctx.informers.get<ModelVersion>(MODEL_VERSIONS);
  const scopes = options.namespaces.length ? options.namespaces : [undefined];
  const list = async (namespace?: string) => (await listAll<ModelVersion>(ctx.objects, ctx.custom, MODEL_VERSIONS, namespace)).items;

  const controller = new Controller({
    name: 'modelversion',
    reconciler: new ModelVersionReconciler({
      modelVersions: versions,
      custom: ctx.custom,
      events: ctx.events,
      clock: ctx.clock,
      reader: new ArtifactReader({ store: ctx.store, openStore: ctx.openStore }),
      storeRoot: ctx.store?.root,
      listFresh: async (namespace) => (namespace !== undefined ? list(namespace) : (await Promise.all(scopes.map(list))).flat()),
    }),
    workers: ctx.workers,
    clock: ctx.clock,
    log: ctx.log.child({ controller: 'modelversion' }),
    metrics: ctx.metrics,
  });

  versions.onChange((mv, change) => {
    controller.enqueue(keyOf(mv));
    // A version that disappears may leave an alias for another version of its model to settle.
    if (change === 'delete') {
      for (const other of versions.list(mv.metadata?.namespace)) if (other.spec?.model === mv.spec?.model) controller.enqueue(keyOf(other));
    }
  });

  return { controller, informers: [versions] };
}
