// Reconciles one InferenceService: resolve the model, apply the desired revision, let the
// rollout strategy decide what serves, point the Service at it, remove what is no longer
// needed, then write status. The serving revision is what the Service selects: the one piece
// of state that decides traffic is read back from the cluster, never only remembered.
import type { CustomObjectsApi, KubernetesObject, KubernetesObjectApi, V1Deployment, V1Pod, V1Service, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { Dataset, InferenceService, ModelVersion } from '../../api/v1alpha1/types.ts';
import { applyChild, ResourceExistsError } from '../../runtime/apply.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { ObjectKey, Reconciler, ReconcileResult } from '../../runtime/controller.ts';
import type { EventRecorder } from '../../runtime/events.ts';
import { Reasons } from '../../runtime/events.ts';
import { isNotFound } from '../../runtime/kube.ts';
import type { Logger } from '../../runtime/log.ts';
import { isControlledBy } from '../../runtime/owner.ts';
import type { Cache } from '../../runtime/resources.ts';
import { writeStatus } from '../../runtime/status.ts';
import { ANNOTATION_MODEL_VERSION, CONTAINER, desiredRevision, desiredService, LABEL_ISVC, LABEL_REVISION } from './desired.ts';
import type { DesiredRevision, RevisionOptions } from './desired.ts';
import { referenceProfile, resolveModel } from './resolve.ts';
import { revisionState } from './revision.ts';
import type { RevisionState } from './revision.ts';
import { recreate } from './rollout/recreate.ts';
import type { RolloutStrategy } from './rollout/strategy.ts';
import { computeStatus } from './status.ts';
import type { Observed } from './status.ts';
import { INFERENCE_SERVICES } from '../resources.ts';

export interface InferenceServiceDeps {
  inferenceServices: Cache<InferenceService>;
  services: Cache<V1Service>;
  deployments: Cache<V1Deployment>;
  hpas: Cache<V2HorizontalPodAutoscaler>;
  pods: Cache<V1Pod>;
  modelVersions: Cache<ModelVersion>;
  datasets: Cache<Dataset>;
  objects: KubernetesObjectApi;
  custom: CustomObjectsApi;
  events: EventRecorder;
  clock: Clock;
  revision: RevisionOptions;
}

/** A name taken by a foreign object may be freed without an event we watch; look again later. */
const CONFLICT_RECHECK_MS = 60_000;

/**
 * The strategy for spec.rollout.strategy. Only the immediate switch exists in this slice;
 * Canary, BlueGreen and Shadow fall back to it (the Progressing message says so).
 */
function strategyFor(_isvc: InferenceService): RolloutStrategy {
  return recreate;
}

export class InferenceServiceReconciler implements Reconciler {
  readonly #d: InferenceServiceDeps;

  constructor(deps: InferenceServiceDeps) {
    this.#d = deps;
  }

  async reconcile(key: ObjectKey, log: Logger): Promise<ReconcileResult | void> {
    const isvc = this.#d.inferenceServices.get(key.namespace, key.name);
    if (!isvc || isvc.metadata.deletionTimestamp) return; // gone: children follow by garbage collection
    const ns = key.namespace;

    const observed: Observed = {};
    const resolution = resolveModel(isvc, this.#d.modelVersions.list(ns));
    observed.resolution = resolution;

    const deployments = this.#d.deployments.list(ns).filter((d) => d.metadata?.labels?.[LABEL_ISVC] === isvc.metadata.name && isControlledBy(d, isvc));
    const stateOf = (d: V1Deployment): RevisionState =>
      revisionState(d, this.#podsOf(ns, d.metadata!.name!), CONTAINER, d.metadata?.annotations?.[ANNOTATION_MODEL_VERSION] ?? '');

    let desired: RevisionState | undefined;
    if (resolution.resolved) {
      const mv = resolution.modelVersion;
      const rev = desiredRevision(isvc, { modelVersion: mv, referenceProfile: referenceProfile(mv, this.#d.datasets.list(ns)) }, this.#d.revision);
      observed.desired = rev.name;
      try {
        desired = stateOf(await this.#applyRevision(isvc, rev, log));
      } catch (err) {
        if (!(err instanceof ResourceExistsError)) throw err;
        observed.revisionConflict = err.message;
        log.warn({ revision: rev.name }, err.message);
        await this.#d.events.record(isvc, 'Warning', Reasons.ResourceExists, 'Apply', err.message);
      }
    } else {
      log.debug({ reason: resolution.reason }, resolution.message);
    }

    const front = this.#d.services.get(ns, isvc.metadata.name!);
    const servingName = front && isControlledBy(front, isvc) ? front.spec?.selector?.[LABEL_REVISION] : undefined;
    const servingDeployment = deployments.find((d) => d.metadata?.name === servingName);
    const serving = servingDeployment ? (servingName === desired?.name ? desired : stateOf(servingDeployment)) : undefined;
    const older = deployments.filter((d) => d.metadata?.name !== servingName && d.metadata?.name !== desired?.name).map(stateOf);

    const strategy = strategyFor(isvc);
    const decision = strategy.decide({ isvc, desired, serving, older });
    const asked = isvc.spec.rollout?.strategy;
    if (decision.progress && asked && asked !== strategy.name) {
      decision.progress = { ...decision.progress, message: `${decision.progress.message} (strategy ${asked} is not implemented yet: switched at once, as Recreate)` };
    }

    const service = desiredService(isvc, decision.serve);
    try {
      const { changed } = await applyChild(this.#d.objects, isvc, service, front);
      if (changed) log.info({ child: `Service/${service.metadata!.name}`, serving: decision.serve }, 'applied Service');
      if (decision.serve && decision.serve !== servingName) {
        const to = [desired, serving].find((r) => r?.name === decision.serve);
        const note = `revision ${decision.serve} (${to?.modelVersion}) now serves${servingName ? `, replacing ${servingName}` : ''}`;
        log.info({ revision: decision.serve }, note);
        await this.#d.events.record(isvc, 'Normal', Reasons.RevisionPromoted, 'Promote', note);
      } else if (changed) {
        await this.#d.events.record(isvc, 'Normal', Reasons.Applied, 'Apply', `Service ${service.metadata!.name} matches the spec`);
      }
    } catch (err) {
      if (!(err instanceof ResourceExistsError)) throw err;
      observed.serviceConflict = err.message;
      log.warn({ child: `Service/${service.metadata!.name}` }, err.message);
      await this.#d.events.record(isvc, 'Warning', Reasons.ResourceExists, 'Apply', err.message);
    }

    // Without our Service nothing serves; keep every revision until it is ours again.
    const states = [...(desired ? [desired] : []), ...(serving && serving !== desired ? [serving] : []), ...older];
    let remaining = states;
    if (!observed.serviceConflict) {
      for (const name of [...decision.remove, ...this.#orphans(isvc, states, decision.serve)]) await this.#removeRevision(isvc, name, states.find((s) => s.name === name), log);
      remaining = states.filter((s) => !decision.remove.includes(s.name));
      observed.serving = states.find((s) => s.name === decision.serve);
    } else {
      observed.serving = serving;
    }
    observed.revisions = remaining;
    if (decision.progress) observed.progress = decision.progress;

    const status = computeStatus(isvc, observed, new Date(this.#d.clock.now()));
    if (await writeStatus(this.#d.custom, INFERENCE_SERVICES, isvc, status)) log.debug('status updated');
    if (observed.serviceConflict || observed.revisionConflict) return { requeueAfterMs: CONFLICT_RECHECK_MS };
  }

  /** Revisions left with a Service or HPA but no Deployment (deleted by hand): nothing will use them. */
  #orphans(isvc: InferenceService, states: readonly RevisionState[], serving: string | undefined): string[] {
    const ns = isvc.metadata.namespace!;
    const known = new Set([...states.map((s) => s.name), ...(serving ? [serving] : [])]);
    const names = new Set<string>();
    for (const child of [...this.#d.services.list(ns), ...this.#d.hpas.list(ns)]) {
      const rev = child.metadata?.labels?.[LABEL_REVISION];
      if (rev && child.metadata?.labels?.[LABEL_ISVC] === isvc.metadata.name && !known.has(rev) && isControlledBy(child, isvc)) names.add(rev);
    }
    return [...names].sort();
  }

  #podsOf(namespace: string, revision: string): V1Pod[] {
    return this.#d.pods.list(namespace).filter((p) => p.metadata?.labels?.[LABEL_REVISION] === revision);
  }

  /** Applies the revision's Deployment, Service and HPA (or removes an HPA no longer asked for); returns the Deployment as applied. */
  async #applyRevision(isvc: InferenceService, rev: DesiredRevision, log: Logger): Promise<V1Deployment> {
    const ns = isvc.metadata.namespace!;
    const cached = this.#d.deployments.get(ns, rev.name);
    const { object: deployment, changed } = await applyChild(this.#d.objects, isvc, rev.deployment, cached);
    if (changed) {
      log.info({ revision: rev.name, modelVersion: rev.modelVersion }, cached ? 'applied revision Deployment' : 'created revision');
      if (!cached) await this.#d.events.record(isvc, 'Normal', Reasons.RevisionCreated, 'Create', `revision ${rev.name} serves ModelVersion ${rev.modelVersion}; it takes traffic once its Pods are ready`);
    }
    await applyChild(this.#d.objects, isvc, rev.service, this.#d.services.get(ns, rev.name));
    const hpa = this.#d.hpas.get(ns, rev.name);
    if (rev.hpa) await applyChild(this.#d.objects, isvc, rev.hpa, hpa);
    else if (hpa && isControlledBy(hpa, isvc)) await this.#delete('autoscaling/v2', 'HorizontalPodAutoscaler', ns, rev.name);
    return deployment;
  }

  /** Deletes a revision's Deployment (its Pods drain and go), Service and HPA, when they are ours. */
  async #removeRevision(isvc: InferenceService, name: string, state: RevisionState | undefined, log: Logger): Promise<void> {
    const ns = isvc.metadata.namespace!;
    // Cached objects carry no apiVersion and kind (list items do not): name them here.
    const children: [string, string, KubernetesObject | undefined][] = [
      ['autoscaling/v2', 'HorizontalPodAutoscaler', this.#d.hpas.get(ns, name)],
      ['v1', 'Service', this.#d.services.get(ns, name)],
      ['apps/v1', 'Deployment', this.#d.deployments.get(ns, name)],
    ];
    let removed = false;
    for (const [apiVersion, kind, child] of children) {
      if (!child || !isControlledBy(child, isvc) || child.metadata?.deletionTimestamp) continue;
      removed = (await this.#delete(apiVersion, kind, ns, name)) || removed;
    }
    if (removed) {
      const note = `revision ${name}${state?.modelVersion ? ` (${state.modelVersion})` : ''} is no longer needed and was deleted`;
      log.info({ revision: name }, note);
      await this.#d.events.record(isvc, 'Normal', Reasons.RevisionRemoved, 'Delete', note);
    }
  }

  async #delete(apiVersion: string, kind: string, namespace: string, name: string): Promise<boolean> {
    try {
      await this.#d.objects.delete({ apiVersion, kind, metadata: { name, namespace } });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}
