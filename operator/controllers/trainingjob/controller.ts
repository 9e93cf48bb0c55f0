// Wiring of the TrainingJob controller: its informers, their handlers, its reconciler.
import type { V1Job, V1Pod, V1Service } from '@kubernetes/client-node';
import type { Dataset, TrainingJob } from '../../api/v1alpha1/types.ts';
import { Controller, keyOf } from '../../runtime/controller.ts';
import { ownerKey } from '../../runtime/owner.ts';
import type { ControllerContext } from '../context.ts';
import { LABEL_TRAININGJOB } from './desired.ts';
import { TrainingJobReconciler } from './reconcile.ts';
import { DATASETS, JOBS, PODS, SERVICES, TRAINING_JOBS } from '../resources.ts';

export function trainingJobController(ctx: ControllerContext) {
  const tjs = ctx.informers.get<TrainingJob>(TRAINING_JOBS);
  const datasets = ctx.informers.get<Dataset>(DATASETS);
  // Only the runs' own Jobs, Pods and Services are cached (they carry the TrainingJob label).
  const jobs = ctx.informers.get<V1Job>(JOBS, LABEL_TRAININGJOB);
  const pods = ctx.informers.get<V1Pod>(PODS, LABEL_TRAININGJOB);
  const services = ctx.informers.get<V1Service>(SERVICES, LABEL_TRAININGJOB);

  const controller = new Controller({
    name: 'trainingjob',
    reconciler: new TrainingJobReconciler({
      trainingJobs: tjs,
      datasets,
      jobs,
      pods,
      services,
      objects: ctx.objects,
      custom: ctx.custom,
      events: ctx.events,
      clock: ctx.clock,
      config: ctx.config,
      store: ctx.store,
    }),
    workers: ctx.workers,
    clock: ctx.clock,
    log: ctx.log.child({ controller: 'trainingjob' }),
    metrics: ctx.metrics,
  });

  tjs.onChange((obj) => controller.enqueue(keyOf(obj)));
  // A Dataset's new version may be what a TrainingJob waits for.
  datasets.onChange((ds) => {
    for (const tj of tjs.list(ds.metadata.namespace)) if (tj.spec.datasetRef.name === ds.metadata.name) controller.enqueue(keyOf(tj));
  });
  const toOwner = (obj: V1Job | V1Service) => {
    const owner = ownerKey(obj, 'modelops.dev', 'TrainingJob');
    if (owner) controller.enqueue(owner);
  };
  jobs.onChange(toOwner);
  services.onChange(toOwner);
  // A Pod's owner is its Job; the label names the TrainingJob.
  pods.onChange((pod) => {
    const tj = pod.metadata?.labels?.[LABEL_TRAININGJOB];
    if (tj) controller.enqueue(`${pod.metadata!.namespace}/${tj}`);
  });

  return { controller, informers: [tjs, datasets, jobs, pods, services] };
}
