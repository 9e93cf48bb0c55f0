// The InferenceService status as a pure function of what the reconcile observed and decided.
import { setCondition } from '../../runtime/conditions.ts';
import type { Condition, ConditionUpdate } from '../../runtime/conditions.ts';
import { Reasons } from '../../runtime/events.ts';
import type { Reason } from '../../runtime/events.ts';
import type { AnalysisHold, AnalysisMeasurement, InferenceService, InferenceServiceStatus, RevisionStatus } from '../../api/v1alpha1/types.ts';
import { serviceUrl } from './desired.ts';
import type { Resolution } from './resolve.ts';
import type { RevisionState } from './revision.ts';
import type { RolloutPhase, RolloutProgress } from './rollout/strategy.ts';

/** At most this many revisions are listed (the schema's bound). */
const MAX_REVISIONS = 10;

export interface Observed {
  /** Set when the Service's name is taken by an object we do not manage. */
  serviceConflict?: string;
  /** How spec.model resolved; undefined is treated as not resolved yet. */
  resolution?: Resolution;
  /** The desired revision's name, when the model resolved. */
  desired?: string;
  /** Set when a child of the desired revision is taken by an object we do not manage. */
  revisionConflict?: string;
  /** The revision the Service sends traffic to after this reconcile. */
  serving?: RevisionState;
  /** Every revision that exists after this reconcile. */
  revisions?: readonly RevisionState[];
  /** The strategy's account of the rollout. */
  progress?: RolloutProgress;
  /** BlueGreen: the preview Service's URL. */
  preview?: string | undefined;
  /** Set when the HTTPRoute cannot be written: its name is taken, or the Gateway API is not installed. */
  routeProblem?: { reason: Reason; message: string };
  /** The rollout's state as decided this reconcile. */
  rollout?: {
    canary?: { name: string; weight: number } | undefined;
    step?: { index: number; startMs: number } | undefined;
    phase?: RolloutPhase | undefined;
    aborted?: { revision: string; modelVersion: string } | undefined;
    /** The rollout holds for a person because analysis was inconclusive. */
    analysisHold?: AnalysisHold | undefined;
    history?: readonly AnalysisMeasurement[] | undefined;
    /** The action annotations' values now: acted on, or ignored when nothing could act on them. */
    acknowledged?: { promote?: string | undefined; abort?: string | undefined } | undefined;
  };
}

function revisionStatus(r: RevisionState): RevisionStatus {
  return { name: r.name, modelVersion: r.modelVersion, replicas: r.replicas, readyReplicas: r.readyReplicas };
}

/**
 * A spec that cannot be acted on as written (the model does not exist, or is Invalid), as
 * opposed to one that waits for a version being verified or an alias being moved.
 */
function unservable(observed: Observed): (Resolution & { resolved: false }) | undefined {
  const r = observed.resolution;
  return r && !r.resolved && r.reason !== Reasons.ModelNotReady ? r : undefined;
}

/** Ready: the InferenceService serves what its spec asks for, with ready Pods. */
function readyCondition(observed: Observed): ConditionUpdate {
  if (observed.serviceConflict) return { type: 'Ready', status: 'False', reason: Reasons.ResourceExists, message: observed.serviceConflict };
  if (observed.routeProblem) return { type: 'Ready', status: 'False', ...observed.routeProblem };
  const s = observed.serving;
  const bad = unservable(observed);
  if (!s) return { type: 'Ready', status: 'False', reason: Reasons.NoRevision, message: `no revision serves the model yet${bad ? `: ${bad.message}` : ''}` };
  if (s.readyReplicas === 0) {
    return { type: 'Ready', status: 'False', reason: Reasons.RevisionNotReady, message: `revision ${s.name} (${s.modelVersion}) has no ready Pods${s.problem ? `: ${s.problem}` : ''}` };
  }
  // Requests are answered, but not by what the spec asks for: GitOps tools must not call it healthy.
  if (bad) return { type: 'Ready', status: 'False', reason: bad.reason, message: `${bad.message}; revision ${s.name} (${s.modelVersion}) keeps serving` };
  // The spec's version was rolled back: requests are answered, by the previous version.
  const aborted = observed.rollout?.phase === 'RolledBack' ? observed.rollout.aborted : undefined;
  if (aborted) {
    return { type: 'Ready', status: 'False', reason: Reasons.RolledBack, message: `revision ${aborted.revision} (${aborted.modelVersion}) was rolled back; ${s.name} (${s.modelVersion}) serves all traffic` };
  }
  return { type: 'Ready', status: 'True', reason: Reasons.RevisionReady, message: `revision ${s.name} (${s.modelVersion}) serves with ${s.readyReplicas}/${s.replicas} Pods ready` };
}

function phaseOf(observed: Observed): NonNullable<InferenceServiceStatus['phase']> {
  const s = observed.serving;
  if (!s) return 'Pending';
  if (s.readyReplicas === 0 || unservable(observed)) return 'Degraded';
  const phase = observed.rollout?.phase;
  if (phase === 'RolledBack' || phase === 'Paused') return phase;
  if (observed.desired && observed.desired !== s.name) return 'Progressing';
  return 'Healthy';
}

export function computeStatus(isvc: InferenceService, observed: Observed, now: Date): InferenceServiceStatus {
  const previous = isvc.status ?? {};
  const generation = isvc.metadata.generation;
  const set = (list: Condition[] | undefined, c: ConditionUpdate) => setCondition(list, c, now, generation);
  let conditions = previous.conditions as Condition[] | undefined;
  const resolution = observed.resolution;
  conditions = set(
    conditions,
    resolution?.resolved
      ? { type: 'ModelResolved', status: 'True', reason: Reasons.ModelResolved, message: `serving ModelVersion ${resolution.modelVersion.metadata.name} asks for` }
      : { type: 'ModelResolved', status: 'False', reason: resolution?.reason ?? Reasons.ModelNotFound, message: resolution?.message ?? 'spec.model not resolved yet' },
  );
  conditions = set(
    conditions,
    observed.serviceConflict
      ? { type: 'ServiceReady', status: 'False', reason: Reasons.ResourceExists, message: observed.serviceConflict }
      : { type: 'ServiceReady', status: 'True', reason: Reasons.Applied, message: 'the Service routes to the serving Pods' },
  );
  const progress = observed.revisionConflict ? { status: 'False' as const, reason: Reasons.ResourceExists, message: observed.revisionConflict } : observed.progress;
  // No rollout to speak of (the model does not resolve): no stale account of an earlier one.
  if (progress) conditions = set(conditions, { type: 'Progressing', ...progress });
  else conditions = conditions?.filter((c) => c.type !== 'Progressing');
  conditions = set(conditions, readyCondition(observed));

  const revisions = [...(observed.revisions ?? [])].sort((a, b) => rank(a, observed) - rank(b, observed) || (a.name < b.name ? -1 : 1));
  const desiredState = revisions.find((r) => r.name === observed.desired);
  const status: InferenceServiceStatus = {
    ...previous,
    observedGeneration: generation,
    phase: phaseOf(observed),
    conditions,
  };
  const put = <K extends keyof InferenceServiceStatus>(key: K, value: InferenceServiceStatus[K] | undefined) => {
    if (value === undefined) delete status[key];
    else status[key] = value;
  };
  put('url', observed.serviceConflict ? undefined : serviceUrl(isvc));
  put('previewUrl', observed.preview);
  // A model that does not resolve has no desired revision: ModelResolved says why.
  put('desiredRevision', resolution?.resolved ? observed.desired : undefined);
  put('desiredModelVersion', resolution?.resolved ? resolution.modelVersion.metadata.name : undefined);
  put('servingRevision', observed.serving?.name);
  put('servingModelVersion', observed.serving?.modelVersion);
  put('stableRevision', observed.serving ? revisionStatus(observed.serving) : undefined);
  put('canaryRevision', desiredState && desiredState.name !== observed.serving?.name ? revisionStatus(desiredState) : undefined);
  put('revisions', revisions.length ? revisions.slice(0, MAX_REVISIONS).map(revisionStatus) : undefined);
  const rollout = observed.rollout;
  if (rollout) {
    const canaryLive = status.canaryRevision !== undefined;
    put('canaryWeight', canaryLive ? (rollout.canary?.weight ?? 0) : undefined);
    put('currentStep', canaryLive ? rollout.step?.index : undefined);
    put('stepStartTime', canaryLive && rollout.step ? new Date(rollout.step.startMs).toISOString() : undefined);
    put('abortedRevision', rollout.aborted?.revision);
    put('abortedModelVersion', rollout.aborted?.modelVersion);
    put('analysisHold', rollout.analysisHold);
    put('analysis', rollout.history?.length ? [...rollout.history] : undefined);
    const ack = Object.fromEntries(Object.entries(rollout.acknowledged ?? {}).filter(([, v]) => v !== undefined)) as NonNullable<InferenceServiceStatus['acknowledgedActions']>;
    put('acknowledgedActions', Object.keys(ack).length ? ack : undefined);
  }
  return status;
}

/** Serving first, then the desired one, then the rest by name. */
function rank(r: RevisionState, observed: Observed): number {
  if (r.name === observed.serving?.name) return 0;
  if (r.name === observed.desired) return 1;
  return 2;
}
