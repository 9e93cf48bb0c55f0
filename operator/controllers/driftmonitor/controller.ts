// Wiring of the DriftMonitor controller: DriftMonitors, the objects a run reads (InferenceServices,
// ModelVersions, Datasets) and the TrainingJobs its retraining creates.
import type { Dataset, DriftMonitor, InferenceService, ModelVersion, TrainingJob } from '../../api/v1alpha1/types.ts';
import { ArtifactReader } from '../../artifacts/resolve.ts';
import { PrometheusClient } from '../../prometheus/client.ts';
import { Controller, keyOf } from '../../runtime/controller.ts';
import { ownerKey } from '../../runtime/owner.ts';
import type { ControllerContext } from '../context.ts';
import { DATASETS, DRIFT_MONITORS, INFERENCE_SERVICES, MODEL_VERSIONS, TRAINING_JOBS } from '../resources.ts';
import { DriftGauges } from './gauges.ts';
import { DriftMonitorReconciler } from './reconcile.ts';

export function driftMonitorController(ctx: ControllerContext) {
  const monitors = ctx.informers.get<DriftMonitor>(DRIFT_MONITORS);
  const services = ctx.informers.get<InferenceService>(INFERENCE_SERVICES);
  const modelVersions = ctx.informers.get<ModelVersion>(MODEL_VERSIONS);
  const datasets = ctx.informers.get<Dataset>(DATASETS);
  const trainingJobs = ctx.informers.get<TrainingJob>(TRAINING_JOBS);

  const controller = new Controller({
    name: 'driftmonitor',
    reconciler: new DriftMonitorReconciler({
      monitors,
      services,
      modelVersions,
      datasets,
      trainingJobs,
      objects: ctx.objects,
      custom: ctx.custom,
      events: ctx.events,
      clock: ctx.clock,
      prometheus: ctx.config.prometheusUrl ? new PrometheusClient({ url: ctx.config.prometheusUrl }) : undefined,
      reader: new ArtifactReader({ store: ctx.store, openStore: ctx.openStore }),
      artifactStore: ctx.config.artifactStore,
      gauges: new DriftGauges(ctx.metrics),
    }),
    workers: ctx.workers,
    clock: ctx.clock,
    log: ctx.log.child({ controller: 'driftmonitor' }),
    metrics: ctx.metrics,
  });

  // Runs are driven by the schedule (requeueAfter); changes to the monitor reschedule it, and a
  // retraining TrainingJob finishing updates the Retraining condition.
  monitors.onChange((obj) => controller.enqueue(keyOf(obj)));
  trainingJobs.onChange((obj) => {
    const owner = ownerKey(obj, 'modelops.dev', 'DriftMonitor');
    if (owner) controller.enqueue(owner);
  });

  return { controller, informers: [monitors, services, modelVersions, datasets, trainingJobs] };
}
