// Wiring of the InferenceService controller: its informers, their handlers, its reconciler.
// Children (Services, Deployments, HPAs) map to their InferenceService by owner reference,
// Pods by their label; a ModelVersion change (an alias moved, a version became Ready)
// enqueues every InferenceService of its namespace that follows it.
import type { V1Deployment, V1Pod, V1Service, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { Dataset, InferenceService, ModelVersion } from '../../api/v1alpha1/types.ts';
import { Controller, keyOf } from '../../runtime/controller.ts';
import { ownerKey } from '../../runtime/owner.ts';
import type { ControllerContext } from '../context.ts';
import { LABEL_ISVC, SERVER_SELECTOR } from './desired.ts';
import { InferenceServiceReconciler } from './reconcile.ts';
import { follows } from './resolve.ts';
import { PrometheusClient } from '../../prometheus/client.ts';
import { DATASETS, DEPLOYMENTS, HPAS, INFERENCE_SERVICES, MODEL_VERSIONS, PODS, SERVICES } from '../resources.ts';

export function inferenceServiceController(ctx: ControllerContext) {
  const isvcs = ctx.informers.get<InferenceService>(INFERENCE_SERVICES);
  // Only children we manage are cached; a foreign one with a child's name is read on demand.
  const services = ctx.informers.get<V1Service>(SERVICES, 'app.kubernetes.io/managed-by=modelops');
  const deployments = ctx.informers.get<V1Deployment>(DEPLOYMENTS, SERVER_SELECTOR);
  const hpas = ctx.informers.get<V2HorizontalPodAutoscaler>(HPAS, SERVER_SELECTOR);
  const pods = ctx.informers.get<V1Pod>(PODS, SERVER_SELECTOR);
  const modelVersions = ctx.informers.get<ModelVersion>(MODEL_VERSIONS);
  // Read for the reference profile of a model's training data; a change needs no reconcile.
  const datasets = ctx.informers.get<Dataset>(DATASETS);

  const controller = new Controller({
    name: 'inferenceservice',
    reconciler: new InferenceServiceReconciler({
      inferenceServices: isvcs,
      services,
      deployments,
      hpas,
      pods,
      modelVersions,
      datasets,
      objects: ctx.objects,
      custom: ctx.custom,
      events: ctx.events,
      clock: ctx.clock,
      prometheus: ctx.config.prometheusUrl ? new PrometheusClient({ url: ctx.config.prometheusUrl, timeoutMs: 10_000 }) : undefined,
      metrics: ctx.metrics,
      revision: { serverImage: ctx.config.serverImage, artifactStoreSecret: ctx.config.artifactStoreSecret, artifactStore: ctx.config.artifactStore },
    }),
    workers: ctx.workers,
    clock: ctx.clock,
    log: ctx.log.child({ controller: 'inferenceservice' }),
    metrics: ctx.metrics,
  });

  const toOwner = (obj: V1Service | V1Deployment | V2HorizontalPodAutoscaler) => {
    const owner = ownerKey(obj, 'modelops.dev', 'InferenceService');
    if (owner) controller.enqueue(owner);
  };
  isvcs.onChange((obj) => controller.enqueue(keyOf(obj)));
  services.onChange(toOwner);
  deployments.onChange(toOwner);
  hpas.onChange(toOwner);
  pods.onChange((pod) => {
    const isvc = pod.metadata?.labels?.[LABEL_ISVC];
    if (isvc) controller.enqueue(`${pod.metadata?.namespace}/${isvc}`);
  });
  modelVersions.onChange((mv) => {
    for (const isvc of isvcs.list(mv.metadata?.namespace)) if (follows(isvc, mv)) controller.enqueue(keyOf(isvc));
  });

  return { controller, informers: [isvcs, services, deployments, hpas, pods, modelVersions, datasets] };
}
