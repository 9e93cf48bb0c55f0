// The seam between the reconciler and a rollout strategy. Each reconcile builds a RolloutContext
// naming what each revision means (desired, serving, older); the strategy answers with a
// decision the reconciler carries out: which revision the Service sends traffic to, which
// revisions go, and how the rollout stands. Recreate (recreate.ts) is the first strategy;
// Canary, BlueGreen and Shadow implement the same interface (adding traffic weights).
import type { InferenceService } from '../../../api/v1alpha1/types.ts';
import type { Reason } from '../../../runtime/events.ts';
import type { RevisionState } from '../revision.ts';

export interface RolloutContext {
  isvc: InferenceService;
  /** The revision the spec asks for; undefined when the model does not resolve (then nothing changes). */
  desired?: RevisionState | undefined;
  /** The revision the Service sends traffic to now; undefined before the first one was ready. */
  serving?: RevisionState | undefined;
  /** Every other revision that exists: left over from earlier rollouts. */
  older: readonly RevisionState[];
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
}

export interface RolloutStrategy {
  readonly name: string;
  decide(ctx: RolloutContext): RolloutDecision;
}
