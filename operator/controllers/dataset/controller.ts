// Wiring of the Dataset controller: Datasets, their ingest Jobs and those Jobs' Pods (a Pod
// that cannot pull its image or be scheduled changes nothing on its Job).
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { Dataset } from '../../api/v1alpha1/types.ts';
import { Controller, keyOf } from '../../runtime/controller.ts';
import { controllerOf, ownerKey } from '../../runtime/owner.ts';
import type { ControllerContext } from '../context.ts';
import { INGEST_SELECTOR } from './desired.ts';
import { DatasetReconciler } from './reconcile.ts';
import { DATASETS, JOBS, PODS } from '../resources.ts';

export function datasetController(ctx: ControllerContext) {
  const datasets = ctx.informers.get<Dataset>(DATASETS);
  const jobs = ctx.informers.get<V1Job>(JOBS, INGEST_SELECTOR);
  const pods = ctx.informers.get<V1Pod>(PODS, INGEST_SELECTOR);

  const controller = new Controller({
    name: 'dataset',
    reconciler: new DatasetReconciler({
      datasets,
      jobs,
      pods,
      objects: ctx.objects,
      custom: ctx.custom,
      events: ctx.events,
      clock: ctx.clock,
      image: ctx.config.operatorImage,
      artifactStore: ctx.config.artifactStore,
      artifactStoreSecret: ctx.config.artifactStoreSecret,
      store: ctx.store,
    }),
    workers: ctx.workers,
    clock: ctx.clock,
    log: ctx.log.child({ controller: 'dataset' }),
    metrics: ctx.metrics,
  });

  datasets.onChange((obj) => controller.enqueue(keyOf(obj)));
  jobs.onChange((obj) => {
    const owner = ownerKey(obj, 'modelops.dev', 'Dataset');
    if (owner) controller.enqueue(owner);
  });
  pods.onChange((obj) => {
    // Pod → its Job (controller reference) → the Job's Dataset.
    const ref = controllerOf(obj);
    if (ref?.kind !== 'Job') return;
    const job = jobs.get(obj.metadata?.namespace ?? '', ref.name);
    const owner = job && ownerKey(job, 'modelops.dev', 'Dataset');
    if (owner) controller.enqueue(owner);
  });

  return { controller, informers: [datasets, jobs, pods] };
}
