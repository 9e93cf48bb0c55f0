// The seam between the reconciler and a rollout strategy. Each reconcile builds a RolloutContext
// naming what each revision means (desired, serving, older); the strategy answers with a
// decision the reconciler carries out: which revision the Service sends traffic to, which
// revisions go, and how the rollout stands. Recreate (recreate.ts) is the first strategy;
// Canary (canary.ts) adds a second revision with a share of the traffic, steps and analysis.
// Decisions are pure: what a strategy needs from the past (the step, the measurements, a hold
// for inconclusive analysis) is in the InferenceService's status, so an operator restarted
// mid-rollout resumes where it was.
import type { AnalysisHold, AnalysisMeasurement, InferenceService } from '../../../api/v1alpha1/types.ts';
import type { Reason } from '../../../runtime/events.ts';
import type { RevisionState } from '../revision.ts';
import type { MirrorSupport } from './traffic.ts';

export interface RolloutContext {
  isvc: InferenceService;
  /** The revision the spec asks for; undefined when the model does not resolve (then nothing changes). */
  desired?: RevisionState | undefined;
  /** The revision the Service sends traffic to now; undefined before the first one was ready. */
  serving?: RevisionState | undefined;
  /** Every other revision that exists: left over from earlier rollouts. */
  older: readonly RevisionState[];
  /** The reconcile's clock, in epoch milliseconds. */
  now?: number;
  /** Analysis measurements so far, newest first: status.analysis plus this reconcile's. */
  history?: readonly AnalysisMeasurement[];
  /** Manual actions asked for by annotation and not yet carried out. */
  actions?: { promote?: boolean; abort?: boolean };
  /** spec.rollout.paused, or the annotation modelops.dev/paused. */
  paused?: boolean;
  /** Whether analysis can run (the operator has a Prometheus URL). */
  analysisEnabled?: boolean;
  /** Shadow: whether the route's Gateways can mirror requests (read by the reconciler). */
  mirroring?: MirrorSupport | undefined;
}

/** Phases a strategy may report beyond what the revisions' state says. */
export type RolloutPhase = 'Progressing' | 'Paused' | 'RolledBack';

/** An Event the reconciler records once, when the decision is carried out. */
export interface RolloutEvent {
  type: 'Normal' | 'Warning';
  reason: Reason;
  action: string;
  note: string;
}

export interface RolloutProgress {
  status: 'True' | 'False';
  reason: Reason;
  message: string;
}

export interface RolloutDecision {
  /** The revision the Service selects after this reconcile; undefined: none yet. */
  serve?: string | undefined;
  /** Revisions to delete (Deployment, Service, HPA). */
  remove: string[];
  /** The Progressing condition; undefined when no rollout is under way or was. */
  progress?: RolloutProgress | undefined;
  /** A second revision taking `weight` percent of the traffic besides `serve`. */
  canary?: { name: string; weight: number } | undefined;
  /** The rollout step and when it began (epoch ms), for status; undefined outside a stepped rollout. */
  step?: { index: number; startMs: number } | undefined;
  phase?: RolloutPhase | undefined;
  /** The revision whose rollout stands aborted (status.abortedRevision); undefined clears it. */
  aborted?: { revision: string; modelVersion: string } | undefined;
  /** A measurement of `revision` at `step` is due in `inMs` (0: now); the reconciler takes it and decides again. */
  analyse?: { revision: string; step: number; inMs: number } | undefined;
  /**
   * The rollout holds for a person because analysis was inconclusive (status.analysisHold);
   * undefined clears it. Decided once from the verdict, then kept from status: the measurements
   * behind it may fall out of the bounded history, the hold may not.
   */
  analysisHold?: AnalysisHold | undefined;
  /** Look again after this long even if nothing changes (a timed pause ending). */
  requeueAfterMs?: number | undefined;
  /** The manual actions this decision carried out (acknowledged in status). */
  acted?: { promote?: boolean; abort?: boolean } | undefined;
  events?: RolloutEvent[] | undefined;
  /** Shadow: a copy of `percent` percent of the requests goes to this revision (its answers are dropped). */
  mirror?: { name: string; percent: number } | undefined;
  /** BlueGreen: the revision the preview Service `<isvc>-preview` selects. */
  preview?: string | undefined;
  /** BlueGreen: keep this previous revision running until `untilMs`, for instant rollback. */
  keepWarm?: { revision: string; untilMs: number } | undefined;
}

export interface RolloutStrategy {
  readonly name: string;
  decide(ctx: RolloutContext): RolloutDecision;
}
