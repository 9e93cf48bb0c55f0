// Reconciles one InferenceService: its Service, then its status.
import type { CustomObjectsApi, KubernetesObjectApi, V1Service } from '@kubernetes/client-node';
import type { InferenceService } from '../../api/v1alpha1/types.ts';
import { applyChild, ResourceExistsError } from '../../runtime/apply.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { ObjectKey, Reconciler, ReconcileResult } from '../../runtime/controller.ts';
import type { EventRecorder } from '../../runtime/events.ts';
import { Reasons } from '../../runtime/events.ts';
import type { Logger } from '../../runtime/log.ts';
import type { Cache } from '../../runtime/resources.ts';
import { writeStatus } from '../../runtime/status.ts';
import { desiredService } from './desired.ts';
import { computeStatus } from './status.ts';
import type { Observed } from './status.ts';
import { INFERENCE_SERVICES } from './types.ts';

export interface InferenceServiceDeps {
  inferenceServices: Cache<InferenceService>;
  services: Cache<V1Service>;
  objects: KubernetesObjectApi;
  custom: CustomObjectsApi;
  events: EventRecorder;
  clock: Clock;
}

/** A name taken by a foreign object may be freed without an event we watch; look again later. */
const CONFLICT_RECHECK_MS = 60_000;

export class InferenceServiceReconciler implements Reconciler {
  readonly #d: InferenceServiceDeps;

  constructor(deps: InferenceServiceDeps) {
    this.#d = deps;
  }

  async reconcile(key: ObjectKey, log: Logger): Promise<ReconcileResult | void> {
    const isvc = this.#d.inferenceServices.get(key.namespace, key.name);
    if (!isvc || isvc.metadata.deletionTimestamp) return; // gone: children follow by garbage collection

    const observed: Observed = {};
    const service = desiredService(isvc);
    try {
      const { changed } = await applyChild(this.#d.objects, isvc, service, this.#d.services.get(key.namespace, service.metadata!.name!));
      if (changed) {
        log.info({ child: `Service/${service.metadata!.name}` }, 'applied Service');
        await this.#d.events.record(isvc, 'Normal', Reasons.Applied, 'Apply', `Service ${service.metadata!.name} matches the spec`);
      }
    } catch (err) {
      if (!(err instanceof ResourceExistsError)) throw err;
      observed.serviceConflict = err.message;
      log.warn({ child: `Service/${service.metadata!.name}` }, err.message);
      await this.#d.events.record(isvc, 'Warning', Reasons.ResourceExists, 'Apply', err.message);
    }

    const status = computeStatus(isvc, observed, new Date(this.#d.clock.now()));
    if (await writeStatus(this.#d.custom, INFERENCE_SERVICES, isvc, status)) log.debug('status updated');
    if (observed.serviceConflict) return { requeueAfterMs: CONFLICT_RECHECK_MS };
  }
}
