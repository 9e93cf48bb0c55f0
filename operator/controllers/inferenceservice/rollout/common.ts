// What Canary and BlueGreen share: a rollout between a serving (stable) revision and a new
// one, which may be rolled back (by analysis or by hand) and then stays rolled back until the
// spec asks for another revision or a person retries it.
import type { RevisionState } from '../revision.ts';
import { parseDuration } from '../../../runtime/duration.ts';
import { Reasons } from '../../../runtime/events.ts';
import type { AnalysisVerdict } from '../analysis/decide.ts';
import { measurementsOf } from '../analysis/run.ts';
import { ANALYSIS_DEFAULTS } from '../analysis/queries.ts';
import type { RolloutContext, RolloutDecision } from './strategy.ts';

export function label(r: RevisionState): string {
  return `${r.name} (${r.modelVersion})`;
}

/** A rollout under way: the serving revision and the new one are both known and differ. */
export interface Rollout {
  ctx: RolloutContext;
  desired: RevisionState;
  serving: RevisionState;
  /** Every revision but those kept. */
  others(keep: readonly string[]): string[];
}

export function rollout(ctx: RolloutContext): Rollout | undefined {
  const { desired, serving, older } = ctx;
  if (!desired || !serving || serving.name === desired.name) return undefined;
  return { ctx, desired, serving, others: (keep) => [...older.map((r) => r.name), serving.name, desired.name].filter((n) => !keep.includes(n)) };
}

/** Rolls the new revision back now: all traffic to the serving one, the new one deleted and remembered. */
export function rollBack(r: Rollout, why: string, reason: typeof Reasons.AnalysisFailed | typeof Reasons.RolledBack, acted?: RolloutDecision['acted']): RolloutDecision {
  const { desired, serving } = r;
  return {
    serve: serving.name,
    remove: r.others([serving.name]),
    phase: 'RolledBack',
    aborted: { revision: desired.name, modelVersion: desired.modelVersion },
    acted,
    progress: { status: 'False', reason: Reasons.RolledBack, message: `rollout of revision ${label(desired)} was rolled back: ${why}; ${label(serving)} serves all traffic` },
    events: [{ type: 'Warning', reason, action: 'Rollback', note: `rolled back revision ${label(desired)}: ${why}; all traffic is on ${label(serving)}` }],
  };
}

/**
 * The new revision was rolled back before: it stays so (not started again) until the spec asks
 * for another revision, or a person retries it with modelops.dev/promote (a fresh start).
 * Undefined when it was not rolled back.
 */
export function stayRolledBack(r: Rollout): RolloutDecision | undefined {
  const { ctx, desired, serving } = r;
  const status = ctx.isvc.status ?? {};
  if (status.abortedRevision !== desired.name) return undefined;
  if (!ctx.actions?.promote) {
    const last = status.conditions?.find((c) => c.type === 'Progressing');
    const message = last?.reason === Reasons.RolledBack && last.message ? last.message : `rollout of revision ${label(desired)} was rolled back; ${label(serving)} serves all traffic`;
    return {
      serve: serving.name,
      remove: r.others([serving.name]),
      phase: 'RolledBack',
      aborted: { revision: desired.name, modelVersion: desired.modelVersion },
      progress: { status: 'False', reason: Reasons.RolledBack, message: `${message.replace(/; annotate .*$/, '')}; annotate modelops.dev/promote to try it again, or change spec.model` },
    };
  }
  return {
    serve: serving.name,
    remove: r.others([serving.name, desired.name]),
    acted: { promote: true },
    phase: 'Progressing',
    progress: { status: 'True', reason: Reasons.RevisionStarting, message: `retrying the rollout of revision ${label(desired)} (modelops.dev/promote)` },
    events: [{ type: 'Normal', reason: Reasons.ManualAction, action: 'Retry', note: `retrying the rolled-back revision ${label(desired)} from the start (modelops.dev/promote)` }],
  };
}

/** The newest round of measurements of this step passed every check: the revision was judged good as it is now. */
export function lastRoundPassed(ctx: RolloutContext, revision: string, step: number): boolean {
  const taken = measurementsOf(ctx.history, revision, step);
  if (!taken.length) return false;
  const newest = taken.reduce((t, m) => (m.time > t ? m.time : t), '');
  return taken.filter((m) => m.time === newest).every((m) => m.result === 'Successful');
}

/**
 * The measurement of `revision` at `step` that is due next: one interval after the newest one,
 * or after the step began (so the revision has had its traffic for a whole interval).
 */
export function nextAnalysis(ctx: RolloutContext, revision: string, step: { index: number; startMs: number }, now: number): { revision: string; step: number; inMs: number } {
  const interval = parseDuration(ctx.isvc.spec.rollout?.analysis?.interval ?? ANALYSIS_DEFAULTS.interval);
  const last = measurementsOf(ctx.history, revision, step.index).reduce((t, m) => Math.max(t, Date.parse(m.time)), step.startMs);
  return { revision, step: step.index, inMs: Math.max(0, last + interval - now) };
}

/** How analysis stands, for the Progressing message. */
export function analysisText(analysing: boolean, v: AnalysisVerdict | undefined): string {
  if (!analysing) return 'no analysis (the operator has no --prometheus-url)';
  return v ? `analysis: ${v.message}` : 'analysis pending';
}
