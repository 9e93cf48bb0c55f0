// Wiring of the InferenceService controller: its informers, their handlers, its reconciler.
import type { V1Service } from '@kubernetes/client-node';
import type { InferenceService } from '../../api/v1alpha1/types.ts';
import { Controller, keyOf } from '../../runtime/controller.ts';
import { ownerKey } from '../../runtime/owner.ts';
import { InformerSet } from '../../runtime/resources.ts';
import type { ControllerContext } from '../context.ts';
import { InferenceServiceReconciler } from './reconcile.ts';
import { INFERENCE_SERVICES, SERVICES } from './types.ts';

export function inferenceServiceController(ctx: ControllerContext) {
  const isvcs = new InformerSet<InferenceService>(INFERENCE_SERVICES, ctx.informerOptions());
  // Only Services we manage are cached; a foreign one with a child's name is read on demand.
  const services = new InformerSet<V1Service>(SERVICES, ctx.informerOptions('app.kubernetes.io/managed-by=modelops'));

  const controller = new Controller({
    name: 'inferenceservice',
    reconciler: new InferenceServiceReconciler({
      inferenceServices: isvcs,
      services,
      objects: ctx.objects,
      custom: ctx.custom,
      events: ctx.events,
      clock: ctx.clock,
    }),
    workers: ctx.workers,
    clock: ctx.clock,
    log: ctx.log.child({ controller: 'inferenceservice' }),
    metrics: ctx.metrics,
  });

  isvcs.onChange((obj) => controller.enqueue(keyOf(obj)));
  services.onChange((obj) => {
    const owner = ownerKey(obj, 'modelops.dev', 'InferenceService');
    if (owner) controller.enqueue(owner);
  });

  return { controller, informers: [isvcs, services] };
}
