// Reconciles one InferenceService: resolve the model, apply the desired revision, let the
// rollout strategy decide what serves, point the Service at it, remove what is no longer
// needed, then write status. The serving revision is what the Service selects: the one piece
// of state that decides traffic is read back from the cluster, never only remembered.
import type { KubernetesObject, V1Deployment, V1Pod, V1Service, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { PatchStrategy } from '../../runtime/client/apis.ts';
import type { CustomObjectsApi, ObjectsApi } from '../../runtime/client/apis.ts';
import type { Dataset, InferenceService, ModelVersion } from '../../api/v1alpha1/types.ts';
import { applyChild, FIELD_MANAGER, ResourceExistsError } from '../../runtime/apply.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { ObjectKey, Reconciler, ReconcileResult } from '../../runtime/controller.ts';
import type { EventRecorder } from '../../runtime/events.ts';
import { Reasons } from '../../runtime/events.ts';
import { isNotFound, statusOf } from '../../runtime/kube.ts';
import type { Logger } from '../../runtime/log.ts';
import { isControlledBy } from '../../runtime/owner.ts';
import type { Cache } from '../../runtime/resources.ts';
import { writeStatus } from '../../runtime/status.ts';
import { ANNOTATION_MODEL_VERSION, CONTAINER, desiredRevision, desiredService, LABEL_ISVC, LABEL_REVISION } from './desired.ts';
import type { DesiredRevision, RevisionInput, RevisionOptions } from './desired.ts';
import { referenceProfile, resolveModel } from './resolve.ts';
import { revisionState } from './revision.ts';
import type { RevisionState } from './revision.ts';
import { blueGreen } from './rollout/bluegreen.ts';
import { canary, currentStep } from './rollout/canary.ts';
import { shadow, SHADOW_DEFAULTS } from './rollout/shadow.ts';
import { measureShift } from './analysis/shift.ts';
import { recreate } from './rollout/recreate.ts';
import type { RolloutContext, RolloutDecision, RolloutStrategy } from './rollout/strategy.ts';
import { canaryReplicas, desiredRoute, GATEWAY_API_VERSION, mirrorSupport, parentGateways, providerOf, supportedFeatures } from './rollout/traffic.ts';
import type { MirrorSupport, ParentGateway } from './rollout/traffic.ts';
import { appendHistory, measure } from './analysis/run.ts';
import type { PrometheusQuerier, PrometheusVectorQuerier } from '../../prometheus/client.ts';
import type { RevisionTarget } from './analysis/queries.ts';
import { computeStatus } from './status.ts';
import type { Observed } from './status.ts';
import { INFERENCE_SERVICES } from '../resources.ts';
import type { OperatorMetrics } from '../../runtime/metrics.ts';

export interface InferenceServiceDeps {
  inferenceServices: Cache<InferenceService>;
  services: Cache<V1Service>;
  deployments: Cache<V1Deployment>;
  hpas: Cache<V2HorizontalPodAutoscaler>;
  pods: Cache<V1Pod>;
  modelVersions: Cache<ModelVersion>;
  datasets: Cache<Dataset>;
  objects: ObjectsApi;
  custom: CustomObjectsApi;
  events: EventRecorder;
  clock: Clock;
  revision: RevisionOptions;
  /** Prometheus for rollout analysis; without it canaries step on their pauses alone. */
  prometheus?: (PrometheusQuerier & PrometheusVectorQuerier) | undefined;
  metrics?: OperatorMetrics | undefined;
}

/** Annotations a person sets to act on a rollout (`kubectl annotate --overwrite ... modelops.dev/promote=$(date +%s)`). */
export const ANNOTATION_PROMOTE = 'modelops.dev/promote';
export const ANNOTATION_ABORT = 'modelops.dev/abort';
/** Present (any value): the rollout holds at its step, as with spec.rollout.paused. */
export const ANNOTATION_PAUSED = 'modelops.dev/paused';
/** On the front Service: the stable revision, which its selector does not name while a canary shares it (Service provider). */
export const ANNOTATION_STABLE = 'modelops.dev/stable-revision';
/** On a previous revision's Deployment kept warm after a blue-green switch: when it goes (RFC 3339). */
export const ANNOTATION_SCALE_DOWN_AT = 'modelops.dev/scale-down-at';

/** A name taken by a foreign object may be freed without an event we watch; look again later. */
const CONFLICT_RECHECK_MS = 60_000;

/** The strategy for spec.rollout.strategy; Recreate (the immediate switch) by default. */
function strategyFor(isvc: InferenceService): RolloutStrategy {
  const asked = isvc.spec.rollout?.strategy;
  return asked === 'Canary' ? canary : asked === 'BlueGreen' ? blueGreen : asked === 'Shadow' ? shadow : recreate;
}

/**
 * Sizes a canary revision for the Service provider, where traffic follows ready Pods: replicas
 * for `weight` percent beside the stable revision's, and no HPA until it is promoted.
 */
function sizeCanary(rev: DesiredRevision, weight: number, stable: RevisionState): void {
  rev.deployment.spec!.replicas = canaryReplicas(weight, stable.replicas);
  delete rev.hpa;
}

/** The API server does not serve that Gateway API kind: a 404, or a group whose discovery lacks the kind. */
function gatewayApiMissing(err: unknown): boolean {
  return statusOf(err) === 404 || /Unrecognized API version and kind|the API server serves no kind/.test((err as Error)?.message ?? '');
}

/** How soon to look again while the cache still holds the object our last status write replaced. */
const STALE_RECHECK_MS = 50;

export class InferenceServiceReconciler implements Reconciler {
  readonly #d: InferenceServiceDeps;
  /**
   * Per key, the resourceVersion our last status write replaced. A rollout's state (step,
   * measurements) lives in status, so acting on that older copy from the cache would repeat a
   * step's side effects (a measurement, a route weight) before the write conflicts: wait for the
   * informer instead.
   */
  readonly #replaced = new Map<string, string>();

  constructor(deps: InferenceServiceDeps) {
    this.#d = deps;
  }

  async reconcile(key: ObjectKey, log: Logger): Promise<ReconcileResult | void> {
    const isvc = this.#d.inferenceServices.get(key.namespace, key.name);
    const id = `${key.namespace}/${key.name}`;
    if (!isvc || isvc.metadata.deletionTimestamp) {
      this.#replaced.delete(id);
      return; // gone: children follow by garbage collection
    }
    if (this.#replaced.get(id) === isvc.metadata.resourceVersion) return { requeueAfterMs: STALE_RECHECK_MS };
    this.#replaced.delete(id);
    const ns = key.namespace;
    const now = this.#d.clock.now();
    const strategy = strategyFor(isvc);
    const provider = providerOf(isvc);

    const observed: Observed = {};
    const resolution = resolveModel(isvc, this.#d.modelVersions.list(ns));
    observed.resolution = resolution;

    const deployments = this.#d.deployments.list(ns).filter((d) => d.metadata?.labels?.[LABEL_ISVC] === isvc.metadata.name && isControlledBy(d, isvc));
    const stateOf = (d: V1Deployment): RevisionState => {
      const state = revisionState(d, this.#podsOf(ns, d.metadata!.name!), CONTAINER, d.metadata?.annotations?.[ANNOTATION_MODEL_VERSION] ?? '');
      const until = Date.parse(d.metadata?.annotations?.[ANNOTATION_SCALE_DOWN_AT] ?? '');
      return Number.isFinite(until) ? { ...state, scaleDownAt: until } : state;
    };

    // What serves is read back from the front Service: its selector, or while a canary shares
    // it under the Service provider, the annotation naming the stable revision.
    const front = this.#d.services.get(ns, isvc.metadata.name!);
    const ours = front && isControlledBy(front, isvc) ? front : undefined;
    const servingName = ours?.metadata?.annotations?.[ANNOTATION_STABLE] ?? ours?.spec?.selector?.[LABEL_REVISION];
    const servingDeployment = deployments.find((d) => d.metadata?.name === servingName);

    const annotations = isvc.metadata.annotations ?? {};
    const acknowledged = isvc.status?.acknowledgedActions ?? {};
    const actions = {
      promote: annotations[ANNOTATION_PROMOTE] !== undefined && annotations[ANNOTATION_PROMOTE] !== acknowledged.promote,
      abort: annotations[ANNOTATION_ABORT] !== undefined && annotations[ANNOTATION_ABORT] !== acknowledged.abort,
    };

    let desired: RevisionState | undefined;
    let desiredRev: DesiredRevision | undefined;
    let input: RevisionInput | undefined;
    if (resolution.resolved) {
      const mv = resolution.modelVersion;
      input = { modelVersion: mv, referenceProfile: referenceProfile(mv, this.#d.datasets.list(ns)) };
      const rev = desiredRevision(isvc, input, this.#d.revision);
      observed.desired = rev.name;
      desiredRev = rev;
      const existing = deployments.find((d) => d.metadata?.name === rev.name);
      if (isvc.status?.abortedRevision === rev.name && !actions.promote && servingName !== rev.name) {
        // Rolled back: not started again until the spec asks for another revision or a person retries.
        desired = existing ? stateOf(existing) : { name: rev.name, modelVersion: rev.modelVersion, replicas: 0, readyReplicas: 0, available: false };
      } else {
        const stable = servingDeployment && servingName !== rev.name ? stateOf(servingDeployment) : undefined;
        if (stable && strategy === canary && provider === 'Service') {
          const steps = isvc.spec.rollout?.canary?.steps ?? [];
          const weight = steps[currentStep(isvc, rev.name, now).index]?.weight ?? steps[0]?.weight ?? 0;
          sizeCanary(rev, weight, stable);
        }
        try {
          desired = stateOf(await this.#applyRevision(isvc, rev, log));
        } catch (err) {
          if (!(err instanceof ResourceExistsError)) throw err;
          observed.revisionConflict = err.message;
          log.warn({ revision: rev.name }, err.message);
          await this.#d.events.record(isvc, 'Warning', Reasons.ResourceExists, 'Apply', err.message);
        }
      }
    } else {
      log.debug({ reason: resolution.reason }, resolution.message);
    }

    const serving = servingDeployment ? (servingName === desired?.name ? desired : stateOf(servingDeployment)) : undefined;
    const older = deployments.filter((d) => d.metadata?.name !== servingName && d.metadata?.name !== desired?.name).map(stateOf);

    // Shadow about to mirror: first ask the route's Gateways whether their implementation can.
    const shadowing = strategy === shadow && provider === 'GatewayAPI' && desired !== undefined && serving !== undefined && desired.name !== serving.name;
    const mirroring = shadowing ? await this.#mirrorSupport(isvc) : undefined;
    if (mirroring && mirroring.supported !== true) log.debug({ supported: mirroring.supported }, mirroring.message);

    const ctx: RolloutContext = {
      isvc,
      desired,
      serving,
      older,
      mirroring,
      now,
      history: isvc.status?.analysis ?? [],
      actions,
      paused: isvc.spec.rollout?.paused === true || annotations[ANNOTATION_PAUSED] !== undefined,
      analysisEnabled: this.#d.prometheus !== undefined,
    };
    let decision = strategy.decide(ctx);
    let history = ctx.history;
    if (decision.analyse && decision.analyse.inMs <= 0 && this.#d.prometheus) {
      const added = await this.#measure(isvc, decision.analyse, desired, serving);
      history = appendHistory(history, added);
      decision = strategy.decide({ ...ctx, history });
    }
    // A step changed the canary's weight, or the canary was promoted: size it before traffic moves.
    if (input && desiredRev && desired && !observed.revisionConflict && strategy === canary && provider === 'Service' && (decision.serve === desired.name || decision.canary?.name === desired.name)) {
      const fresh = desiredRevision(isvc, input, this.#d.revision);
      if (decision.canary && serving) sizeCanary(fresh, decision.canary.weight, serving);
      if (fresh.deployment.spec?.replicas !== desiredRev.deployment.spec?.replicas || Boolean(fresh.hpa) !== Boolean(desiredRev.hpa)) desired = stateOf(await this.#applyRevision(isvc, fresh, log));
    }

    const shared = provider === 'Service' && decision.canary !== undefined && decision.canary.weight > 0;
    const service = desiredService(isvc, shared ? undefined : decision.serve);
    if (decision.serve) service.metadata!.annotations = { [ANNOTATION_STABLE]: decision.serve };
    try {
      const { changed } = await applyChild(this.#d.objects, isvc, service, front);
      if (changed) log.info({ child: `Service/${service.metadata!.name}`, serving: decision.serve, canary: decision.canary }, 'applied Service');
      if (decision.serve && decision.serve !== servingName) {
        const to = [desired, serving].find((r) => r?.name === decision.serve);
        const note = `revision ${decision.serve} (${to?.modelVersion}) now serves${servingName ? `, replacing ${servingName}` : ''}`;
        log.info({ revision: decision.serve }, note);
        await this.#d.events.record(isvc, 'Normal', Reasons.RevisionPromoted, 'Promote', note);
      } else if (changed && !decision.canary) {
        await this.#d.events.record(isvc, 'Normal', Reasons.Applied, 'Apply', `Service ${service.metadata!.name} matches the spec`);
      }
    } catch (err) {
      if (!(err instanceof ResourceExistsError)) throw err;
      observed.serviceConflict = err.message;
      log.warn({ child: `Service/${service.metadata!.name}` }, err.message);
      await this.#d.events.record(isvc, 'Warning', Reasons.ResourceExists, 'Apply', err.message);
    }
    if (provider === 'GatewayAPI' && decision.serve) await this.#applyRoute(isvc, decision, observed, log);
    if (decision.keepWarm) await this.#keepWarm(ns, decision.keepWarm, log);
    observed.preview = await this.#applyPreview(isvc, strategy === blueGreen ? (decision.preview ?? decision.serve) : undefined, log);

    // Without our Service nothing serves; keep every revision until it is ours again.
    const states = [...(desired ? [desired] : []), ...(serving && serving !== desired ? [serving] : []), ...older];
    let remaining = states;
    if (!observed.serviceConflict && !observed.routeProblem) {
      for (const name of [...decision.remove, ...this.#orphans(isvc, states, decision.serve)]) await this.#removeRevision(isvc, name, states.find((s) => s.name === name), log);
      remaining = states.filter((s) => !decision.remove.includes(s.name));
      observed.serving = states.find((s) => s.name === decision.serve);
    } else {
      observed.serving = serving;
    }
    observed.revisions = remaining;
    if (decision.progress) observed.progress = decision.progress;
    observed.rollout = {
      canary: decision.canary,
      step: decision.step,
      phase: decision.phase,
      aborted: decision.aborted,
      analysisHold: decision.analysisHold,
      history,
      acknowledged: { promote: annotations[ANNOTATION_PROMOTE], abort: annotations[ANNOTATION_ABORT] },
    };
    // A hold beginning or ending is worth an Event of its own: people wait on it.
    const was = isvc.status?.phase;
    if (decision.phase === 'Paused' && was !== 'Paused' && decision.progress) {
      (decision.events ??= []).push({ type: 'Normal', reason: Reasons.RolloutPaused, action: 'Pause', note: decision.progress.message });
    } else if (was === 'Paused' && decision.phase === 'Progressing') {
      (decision.events ??= []).push({ type: 'Normal', reason: Reasons.RolloutResumed, action: 'Resume', note: `the rollout of revision ${desired?.name} (${desired?.modelVersion}) goes on` });
    }
    for (const e of decision.events ?? []) {
      log.info({ reason: e.reason }, e.note);
      await this.#d.events.record(isvc, e.type, e.reason, e.action, e.note);
    }

    const status = computeStatus(isvc, observed, new Date(now));
    if (await writeStatus(this.#d.custom, INFERENCE_SERVICES, isvc, status)) {
      this.#replaced.set(id, isvc.metadata.resourceVersion!);
      log.debug('status updated');
    }
    const waits = [
      observed.serviceConflict || observed.revisionConflict || observed.routeProblem ? CONFLICT_RECHECK_MS : undefined,
      decision.analyse ? (history === ctx.history ? decision.analyse.inMs : undefined) : undefined,
      decision.requeueAfterMs,
    ].filter((w): w is number => w !== undefined);
    // A measurement taken now is followed by the next one an interval later: decide() said when.
    if (decision.analyse && history !== ctx.history) waits.push(Math.max(1, decision.analyse.inMs));
    if (waits.length) return { requeueAfterMs: Math.max(1, Math.min(...waits)) };
  }

  /** One round of analysis of the canary (against the stable revision), as status measurements. */
  async #measure(isvc: InferenceService, due: NonNullable<RolloutDecision['analyse']>, desired: RevisionState | undefined, serving: RevisionState | undefined) {
    const ns = isvc.metadata.namespace!;
    const target = (r: RevisionState | undefined): RevisionTarget | undefined => {
      const mv = r ? this.#d.modelVersions.get(ns, r.modelVersion) : undefined;
      return r && mv ? { name: r.name, model: mv.spec.model, version: String(mv.spec.version) } : undefined;
    };
    const canaryTarget = target(desired?.name === due.revision ? desired : undefined);
    if (!canaryTarget) return [];
    const measured = await measure({
      analysis: isvc.spec.rollout?.analysis,
      scope: { namespace: ns, service: isvc.metadata.name! },
      canary: canaryTarget,
      stable: target(serving),
      step: due.step,
      prometheus: this.#d.prometheus!,
      clock: this.#d.clock,
      metrics: this.#d.metrics,
    });
    const all = measured.map((m) => m.measurement);
    const stable = target(serving);
    if (isvc.spec.rollout?.strategy === 'Shadow' && stable) {
      const max = isvc.spec.rollout.shadow?.maxPredictionShift ?? SHADOW_DEFAULTS.maxPredictionShift;
      const shift = await measureShift({ analysis: isvc.spec.rollout.analysis, max, canary: canaryTarget, stable, step: due.step, prometheus: this.#d.prometheus!, clock: this.#d.clock });
      this.#d.metrics?.analysisMeasurements.inc({ check: shift.metric, result: shift.result });
      all.push(shift);
    }
    return all;
  }

  /** Marks a previous revision's Deployment with when it goes: state that survives a restart. */
  async #keepWarm(namespace: string, warm: { revision: string; untilMs: number }, log: Logger): Promise<void> {
    const until = new Date(warm.untilMs).toISOString();
    await this.#d.objects.patch(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: warm.revision, namespace, annotations: { [ANNOTATION_SCALE_DOWN_AT]: until } } },
      PatchStrategy.MergePatch,
      { fieldManager: FIELD_MANAGER },
    );
    log.info({ revision: warm.revision, until }, 'previous revision kept warm');
  }

  /**
   * BlueGreen's preview Service `<isvc>-preview`, selecting `revision`; removed (when ours) for
   * other strategies. Returns its URL when it exists.
   */
  async #applyPreview(isvc: InferenceService, revision: string | undefined, log: Logger): Promise<string | undefined> {
    const ns = isvc.metadata.namespace!;
    const name = `${isvc.metadata.name}-preview`;
    const cached = this.#d.services.get(ns, name);
    if (!revision) {
      if (cached && isControlledBy(cached, isvc) && !cached.metadata?.deletionTimestamp) await this.#delete('v1', 'Service', ns, name);
      return undefined;
    }
    const service = desiredService(isvc, revision);
    service.metadata!.name = name;
    try {
      const { changed } = await applyChild(this.#d.objects, isvc, service, cached);
      if (changed) log.info({ child: `Service/${name}`, revision }, 'applied preview Service');
      return `http://${name}.${ns}.svc.cluster.local`;
    } catch (err) {
      if (!(err instanceof ResourceExistsError)) throw err;
      log.warn({ child: `Service/${name}` }, err.message);
      await this.#d.events.record(isvc, 'Warning', Reasons.ResourceExists, 'Apply', err.message);
      return undefined;
    }
  }

  /** The HTTPRoute of the GatewayAPI provider: the stable revision, and the canary's weight. */
  async #applyRoute(isvc: InferenceService, decision: RolloutDecision, observed: Observed, log: Logger): Promise<void> {
    const route = desiredRoute(isvc, decision.serve!, decision.canary, decision.mirror);
    try {
      const { changed } = await applyChild(this.#d.objects, isvc, route, undefined);
      if (changed) log.info({ child: `HTTPRoute/${route.metadata!.name}`, serving: decision.serve, canary: decision.canary }, 'applied HTTPRoute');
    } catch (err) {
      if (!(err instanceof ResourceExistsError) && !gatewayApiMissing(err)) throw err;
      const message =
        err instanceof ResourceExistsError
          ? err.message
          : `HTTPRoute ${route.metadata!.name} cannot be written: the Gateway API (${route.apiVersion} ${route.kind}) is not installed in this cluster; install its CRDs (hack/gateway-api.sh prints them) or set spec.traffic.provider: Service`;
      const reason = err instanceof ResourceExistsError ? Reasons.ResourceExists : Reasons.InvalidSpec;
      observed.routeProblem = { reason, message };
      log.warn({ child: `HTTPRoute/${route.metadata!.name}` }, message);
      await this.#d.events.record(isvc, 'Warning', reason, 'Apply', message);
    }
  }

  /** Shadow: what the classes of the route's Gateways say of request mirroring (two reads a Gateway). */
  async #mirrorSupport(isvc: InferenceService): Promise<MirrorSupport> {
    const parents: ParentGateway[] = [];
    for (const { namespace, name } of parentGateways(isvc)) {
      const gateway = `${namespace}/${name}`;
      const gw = await this.#readGatewayApi<{ spec?: { gatewayClassName?: string } }>('Gateway', name, namespace);
      const className = gw.object?.spec?.gatewayClassName;
      if (!className) {
        parents.push({ gateway, unreadable: gw.unreadable ?? 'it names no gatewayClassName' });
        continue;
      }
      const cls = await this.#readGatewayApi<{ spec?: { controllerName?: string }; status?: { supportedFeatures?: unknown } }>('GatewayClass', className);
      parents.push({ gateway, gatewayClass: className, controller: cls.object?.spec?.controllerName, features: supportedFeatures(cls.object), unreadable: cls.unreadable });
    }
    return mirrorSupport(parents);
  }

  /** A Gateway API object, or why it cannot be read (absent, or not allowed by the operator's RBAC). */
  async #readGatewayApi<T>(kind: string, name: string, namespace?: string): Promise<{ object?: T; unreadable?: string }> {
    try {
      return { object: (await this.#d.objects.read({ apiVersion: GATEWAY_API_VERSION, kind, metadata: { name, ...(namespace ? { namespace } : {}) } })) as T };
    } catch (err) {
      if (gatewayApiMissing(err)) return { unreadable: `${kind} ${name} not found` };
      // The chart grants get on gatewayclasses (cluster-scoped) only to an operator watching all namespaces.
      if (statusOf(err) === 403) return { unreadable: `the operator may not read ${kind} ${name} (grant its ServiceAccount get on ${kind === 'Gateway' ? 'gateways' : 'gatewayclasses'}, docs/helm.md)` };
      throw err;
    }
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
