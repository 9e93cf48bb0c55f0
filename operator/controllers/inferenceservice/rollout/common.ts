// What Canary, BlueGreen and Shadow share: a rollout between a serving (stable) revision and a
// new one, judged by analysis while the serving one answers; it may be rolled back (by analysis
// or by hand) and then stays rolled back until the spec asks for another revision or a person
// retries it, and it may be held for a person when analysis is inconclusive.
import type { AnalysisHold } from '../../../api/v1alpha1/types.ts';
import type { RevisionState } from '../revision.ts';
import { parseDuration } from '../../../runtime/duration.ts';
import { Reasons } from '../../../runtime/events.ts';
import { verdict, verdictPolicy } from '../analysis/decide.ts';
import type { AnalysisVerdict } from '../analysis/decide.ts';
import { measurementsOf } from '../analysis/run.ts';
import { ANALYSIS_DEFAULTS } from '../analysis/queries.ts';
import type { RolloutContext, RolloutDecision, RolloutEvent } from './strategy.ts';

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

/** How analysis of `revision` at `step` stands this reconcile. */
export interface AnalysisState {
  /** Analysis runs (the operator has a Prometheus URL). */
  enabled: boolean;
  /** The verdict of the measurements in the history; undefined when analysis does not run. */
  verdict?: AnalysisVerdict | undefined;
  /** Nothing stands in the way of going on: no analysis, or it passes and its newest round passed every check. */
  passed: boolean;
}

export function analysisOf(ctx: RolloutContext, revision: string, step: number): AnalysisState {
  if (ctx.analysisEnabled !== true) return { enabled: false, passed: true };
  const v = verdict(measurementsOf(ctx.history, revision, step), verdictPolicy(ctx.isvc.spec.rollout?.analysis));
  return { enabled: true, verdict: v, passed: v.phase === 'Passing' && lastRoundPassed(ctx, revision, step) };
}

/**
 * The hold for inconclusive analysis recorded in status, while it still applies: it names the
 * revision the spec asks for and that revision does not serve yet. With no desired revision
 * (the model does not resolve) nothing has replaced it, so it stands.
 */
export function standingHold(ctx: RolloutContext): AnalysisHold | undefined {
  const held = ctx.isvc.status?.analysisHold;
  if (!held || !ctx.desired) return held;
  return held.revision === ctx.desired.name && ctx.serving?.name !== ctx.desired.name ? held : undefined;
}

/**
 * Whether the rollout of `revision` holds for inconclusive analysis: once held, it stays so
 * until a person promotes or aborts or the spec asks for another revision, whatever later
 * verdicts say (status.analysis is bounded: the measurements that began the hold fall out of
 * it while analysis goes on). The caller drops it when it acts on promote or abort.
 */
export function holdFor(ctx: RolloutContext, revision: string, step: number, v: AnalysisVerdict | undefined, now: number): AnalysisHold | undefined {
  const standing = standingHold(ctx);
  if (standing) return standing;
  if (v?.phase !== 'Inconclusive') return undefined;
  return {
    revision,
    step,
    reason: v.reason === 'AnalysisNoData' ? 'AnalysisNoData' : 'AnalysisInconclusive',
    message: v.message.slice(0, 512),
    since: new Date(now).toISOString(),
  };
}

/** The Progressing message's tail for a hold: why, and what a person may do (`promote` and `abort` say what they do). */
export function holdText(held: AnalysisHold, promote: string, abort: string): string {
  return `analysis is inconclusive: ${held.message}; annotate modelops.dev/promote to ${promote} or modelops.dev/abort to ${abort}`;
}

/**
 * The new revision is being judged while the serving one answers every user: it has its
 * traffic (Canary's weight, BlueGreen's preview, Shadow's mirror), analysis goes on (also
 * while held, so a failure still rolls back), and the rollout progresses or holds.
 */
export function judging(
  r: Rollout,
  o: {
    traffic: Pick<RolloutDecision, 'canary' | 'preview' | 'mirror'>;
    step: { index: number; startMs: number };
    now: number;
    analysing: boolean;
    /** What the new revision gets now, for the Progressing message. */
    where: string;
    /** Why the rollout holds; undefined: it progresses, and `progressing` says how. */
    hold?: string | undefined;
    progressing: string;
    analysisHold?: AnalysisHold | undefined;
    acted?: RolloutDecision['acted'];
    events: RolloutEvent[];
    requeueAfterMs?: number | undefined;
  },
): RolloutDecision {
  const { ctx, desired, serving } = r;
  return {
    serve: serving.name,
    ...o.traffic,
    remove: r.others([serving.name, desired.name]),
    step: o.step,
    phase: o.hold ? 'Paused' : 'Progressing',
    acted: o.acted ?? {},
    events: o.events,
    analyse: o.analysing ? nextAnalysis(ctx, desired.name, o.step, o.now) : undefined,
    analysisHold: o.analysisHold,
    requeueAfterMs: o.requeueAfterMs,
    progress: o.hold ? { status: 'True', reason: Reasons.RolloutPaused, message: `${o.where}; ${o.hold}` } : { status: 'True', reason: Reasons.RolloutProgressing, message: `${o.where}; ${o.progressing}` },
  };
}
