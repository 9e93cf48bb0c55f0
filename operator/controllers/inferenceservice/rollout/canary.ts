// Canary: the new revision starts beside the stable one; once every Pod it asks for is
// available it takes the first step's share of traffic, and each step holds until its pause is
// over and analysis has passed at least once at that weight. Analysis failing (more Failed
// measurements of one check than failureLimit) rolls back at once: all traffic to stable, the
// canary revision deleted, and the revision remembered as aborted so it is not rolled out again
// until the spec asks for another one. Inconclusive analysis, spec.rollout.paused, the
// modelops.dev/paused annotation or an untimed pause hold the step for a person, who continues
// with modelops.dev/promote or gives up with modelops.dev/abort. After the last step the
// canary serves everything and the old revision goes.
//
// The step and its start time live in status (currentStep, stepStartTime) and are trusted only
// while status.canaryRevision names the same revision; measurements in status.analysis are
// counted per revision and step. A hold for inconclusive analysis is recorded in
// status.analysisHold, because the measurements behind it fall out of the bounded history
// while analysis goes on. Decisions are pure functions of that and of the clock.
import type { InferenceService } from '../../../api/v1alpha1/types.ts';
import { parseDuration } from '../../../runtime/duration.ts';
import { Reasons } from '../../../runtime/events.ts';
import { analysisOf, analysisText, holdFor, holdText, judging, label, rollBack, rollout, standingHold, stayRolledBack } from './common.ts';
import { recreate } from './recreate.ts';
import type { RolloutContext, RolloutDecision, RolloutEvent, RolloutStrategy } from './strategy.ts';

/** Where the rollout of `canary` stands according to status: its step and when that began. */
export function currentStep(isvc: InferenceService, canary: string, now: number): { index: number; startMs: number } {
  const s = isvc.status;
  const start = s?.stepStartTime ? Date.parse(s.stepStartTime) : NaN;
  if (s?.canaryRevision?.name === canary && s.currentStep !== undefined && Number.isFinite(start)) return { index: s.currentStep, startMs: start };
  return { index: 0, startMs: now };
}

export const canary: RolloutStrategy = {
  name: 'Canary',
  decide(ctx: RolloutContext): RolloutDecision {
    const { isvc, desired, serving } = ctx;
    const now = ctx.now ?? Date.now();
    // Nothing to compare with (the first revision) or nothing new: the immediate switch's rules.
    if (!desired || !serving || serving.name === desired.name) return { ...recreate.decide(ctx), analysisHold: standingHold(ctx) };

    const r = rollout(ctx)!;
    const steps = isvc.spec.rollout?.canary?.steps ?? [];
    const others = r.others;
    const again = stayRolledBack(r);
    if (again) return again;
    if (ctx.actions?.abort) return rollBack(r, 'aborted by the modelops.dev/abort annotation', Reasons.RolledBack, { abort: true });

    // Not ready yet: no traffic, and nothing counts against it but its Pods' problems.
    if (!desired.available) {
      const waiting = recreate.decide(ctx);
      return { ...waiting, serve: serving.name, remove: others([serving.name, desired.name]), analysisHold: standingHold(ctx) };
    }

    let step = currentStep(isvc, desired.name, now);
    const analysis = analysisOf(ctx, desired.name, step.index);
    const v = analysis.verdict;
    if (v?.phase === 'Failed') return rollBack(r, `analysis failed at step ${step.index + 1}: ${v.message}`, Reasons.AnalysisFailed);

    const events: RolloutEvent[] = [];
    const acted: RolloutDecision['acted'] = {};
    const at = steps[Math.min(step.index, steps.length - 1)];
    let hold: string | undefined;
    let advance = false;
    let requeueAfterMs: number | undefined;
    const held = ctx.actions?.promote ? undefined : holdFor(ctx, desired.name, step.index, v, now);
    if (ctx.actions?.promote) {
      advance = true;
      acted.promote = true;
      events.push({ type: 'Normal', reason: Reasons.ManualAction, action: 'Promote', note: `step ${step.index + 1} of revision ${label(desired)} promoted by the modelops.dev/promote annotation` });
    } else if (ctx.paused) {
      hold = 'paused (spec.rollout.paused or the modelops.dev/paused annotation); unpause or annotate modelops.dev/promote to continue';
    } else if (held) {
      hold = holdText(held, 'continue', 'roll back');
    } else if (at?.pause && at.pause.duration === undefined) {
      hold = `step ${step.index + 1} waits to be promoted: annotate modelops.dev/promote to continue`;
    } else {
      const pauseLeft = at?.pause?.duration ? step.startMs + parseDuration(at.pause.duration) - now : 0;
      if (pauseLeft > 0) requeueAfterMs = pauseLeft;
      advance = pauseLeft <= 0 && analysis.passed;
    }

    if (advance) {
      step = { index: step.index + 1, startMs: now };
      if (step.index >= steps.length) {
        return {
          serve: desired.name,
          remove: others([desired.name]),
          acted,
          events,
          progress: { status: 'True', reason: Reasons.RevisionPromoted, message: `revision ${label(desired)} serves after ${steps.length} canary step(s)` },
        };
      }
      events.push({ type: 'Normal', reason: Reasons.RolloutStepped, action: 'Step', note: `step ${step.index + 1}/${steps.length}: ${steps[step.index]!.weight}% of traffic to revision ${label(desired)}` });
    } else if (step.index >= steps.length) {
      // No steps (or status from a spec with more): promote.
      return { serve: desired.name, remove: others([desired.name]), progress: { status: 'True', reason: Reasons.RevisionPromoted, message: `revision ${label(desired)} serves` } };
    }

    const weight = steps[step.index]!.weight;
    const rest = weight < 100 ? `, the rest to ${label(serving)}` : ` (${label(serving)} still runs)`;
    return judging(r, {
      traffic: { canary: { name: desired.name, weight } },
      step,
      now,
      analysing: analysis.enabled,
      where: `step ${step.index + 1}/${steps.length}: ${weight}% of traffic to revision ${label(desired)}${rest}`,
      hold,
      progressing: analysisText(analysis.enabled, advance ? undefined : v),
      analysisHold: held,
      acted,
      events,
      requeueAfterMs,
    });
  },
};
