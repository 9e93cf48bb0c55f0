// Blue-green: the new revision starts at full size beside the serving one and is reachable
// only through the preview Service `<isvc>-preview` while analysis judges it (on the traffic
// sent to the preview: smoke tests, a mirror, a team's own checks). Once analysis has passed
// (its newest round, every check) and autoPromotionDelay is over — or at once on
// modelops.dev/promote; never by itself with manualPromotion — all traffic switches in one step.
// The previous revision is kept running for scaleDownDelay (default 5m), so modelops.dev/abort
// in that window switches back at once to Pods that are already warm; then it is deleted.
// Analysis failing before the switch rolls back: the preview revision is deleted and
// remembered as aborted, as with Canary; inconclusive analysis holds it for a person
// (status.analysisHold), as with Canary.
//
// The preview's start time is status.stepStartTime (step 0, while canaryRevision names it);
// the warm revision's deadline is an annotation on its Deployment (modelops.dev/scale-down-at),
// so both survive an operator restart.
import { parseDuration } from '../../../runtime/duration.ts';
import { Reasons } from '../../../runtime/events.ts';
import { currentStep } from './canary.ts';
import { analysisOf, analysisText, holdFor, holdText, judging, label, rollBack, rollout, standingHold, stayRolledBack } from './common.ts';
import { recreate } from './recreate.ts';
import type { RolloutContext, RolloutDecision, RolloutEvent, RolloutStrategy } from './strategy.ts';

export const DEFAULT_SCALE_DOWN_DELAY = '5m';

/** After the switch: previous revisions stay while their deadline has not passed; abort switches back to the newest warm one. */
function afterSwitch(ctx: RolloutContext, now: number): RolloutDecision {
  const { desired, older } = ctx;
  const settled = recreate.decide(ctx);
  const warm = older.filter((r) => r.scaleDownAt !== undefined && r.scaleDownAt > now).sort((a, b) => b.scaleDownAt! - a.scaleDownAt!);
  if (!desired || !warm.length) return settled;
  const back = warm[0]!;
  if (ctx.actions?.abort) {
    const why = 'rolled back by the modelops.dev/abort annotation';
    return {
      serve: back.name,
      remove: [desired.name, ...older.filter((r) => r !== back).map((r) => r.name)],
      phase: 'RolledBack',
      aborted: { revision: desired.name, modelVersion: desired.modelVersion },
      acted: { abort: true },
      progress: { status: 'False', reason: Reasons.RolledBack, message: `revision ${label(desired)} was ${why}; ${label(back)}, kept warm, serves all traffic again` },
      events: [{ type: 'Warning', reason: Reasons.RolledBack, action: 'Rollback', note: `switched back to the warm revision ${label(back)}: ${label(desired)} was ${why}` }],
    };
  }
  const keep = new Set(warm.map((r) => r.name));
  const left = Math.ceil((back.scaleDownAt! - now) / 1000);
  return {
    ...settled,
    remove: settled.remove.filter((n) => !keep.has(n)),
    requeueAfterMs: Math.min(...warm.map((r) => r.scaleDownAt! - now)),
    progress: {
      status: 'True',
      reason: Reasons.RevisionPromoted,
      message: `revision ${label(desired)} serves; ${label(back)} is kept warm for ${left}s more (annotate modelops.dev/abort to switch back at once)`,
    },
  };
}

export const blueGreen: RolloutStrategy = {
  name: 'BlueGreen',
  decide(ctx: RolloutContext): RolloutDecision {
    const { isvc, desired, serving } = ctx;
    const now = ctx.now ?? Date.now();
    if (!desired || !serving || serving.name === desired.name) return afterSwitch(ctx, now);

    const r = rollout(ctx)!;
    const settings = isvc.spec.rollout?.blueGreen ?? {};
    const again = stayRolledBack(r);
    if (again) return again;
    if (ctx.actions?.abort) return rollBack(r, 'aborted by the modelops.dev/abort annotation', Reasons.RolledBack, { abort: true });
    if (!desired.available) {
      const waiting = recreate.decide(ctx);
      return { ...waiting, serve: serving.name, preview: desired.name, remove: r.others([serving.name, desired.name]), analysisHold: standingHold(ctx) };
    }

    const step = currentStep(isvc, desired.name, now);
    const analysis = analysisOf(ctx, desired.name, 0);
    const v = analysis.verdict;
    if (v?.phase === 'Failed') return rollBack(r, `analysis of the preview failed: ${v.message}`, Reasons.AnalysisFailed);

    const events: RolloutEvent[] = [];
    let hold: string | undefined;
    let promote = false;
    let requeueAfterMs: number | undefined;
    const held = ctx.actions?.promote ? undefined : holdFor(ctx, desired.name, 0, v, now);
    if (ctx.actions?.promote) {
      promote = true;
      events.push({ type: 'Normal', reason: Reasons.ManualAction, action: 'Promote', note: `preview revision ${label(desired)} promoted by the modelops.dev/promote annotation` });
    } else if (ctx.paused) {
      hold = 'paused (spec.rollout.paused or the modelops.dev/paused annotation); unpause or annotate modelops.dev/promote to switch';
    } else if (held) {
      hold = holdText(held, 'switch', 'roll back');
    } else {
      const analysed = analysis.passed;
      if (analysed && settings.manualPromotion) {
        hold = 'analysis passed; manualPromotion: annotate modelops.dev/promote to switch';
      } else if (analysed) {
        const left = settings.autoPromotionDelay ? step.startMs + parseDuration(settings.autoPromotionDelay) - now : 0;
        if (left > 0) requeueAfterMs = left;
        promote = left <= 0;
      }
    }

    if (promote) {
      const delay = parseDuration(settings.scaleDownDelay ?? DEFAULT_SCALE_DOWN_DELAY);
      const warm = delay > 0 ? { revision: serving.name, untilMs: now + delay } : undefined;
      return {
        serve: desired.name,
        preview: desired.name,
        remove: r.others(warm ? [desired.name, serving.name] : [desired.name]),
        keepWarm: warm,
        acted: ctx.actions?.promote ? { promote: true } : {},
        events,
        requeueAfterMs: warm ? delay : undefined,
        progress: {
          status: 'True',
          reason: Reasons.RevisionPromoted,
          message: `revision ${label(desired)} serves${warm ? `; ${label(serving)} is kept warm for ${Math.round(delay / 1000)}s (annotate modelops.dev/abort to switch back at once)` : ''}`,
        },
      };
    }

    return judging(r, {
      traffic: { preview: desired.name },
      step,
      now,
      analysing: analysis.enabled,
      where: `preview revision ${label(desired)} is ready at the Service ${isvc.metadata.name}-preview; ${label(serving)} serves all traffic`,
      hold,
      progressing: analysisText(analysis.enabled, v),
      analysisHold: held,
      events,
      requeueAfterMs,
    });
  },
};
