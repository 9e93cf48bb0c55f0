// Shadow: the candidate gets a copy of a share of the requests (the HTTPRoute's RequestMirror
// filter; its answers are dropped, users only ever see stable's) for `duration`, while analysis
// compares it with stable: error rate, latency, and how far its predictions are from stable's
// (prediction-shift, at most maxPredictionShift). A failed comparison removes the candidate
// (nothing to roll back: it never answered a user). A passed one promotes it when
// `promote` is set, and otherwise reports and holds for a person (modelops.dev/promote to
// switch, modelops.dev/abort to drop it). Inconclusive analysis holds for a person too
// (status.analysisHold), and is never promoted by itself. Mirroring needs the GatewayAPI provider
// and Gateways whose class lists HTTPRouteRequestMirror among its supported features: one that
// lists its features without it holds the rollout (MirrorUnsupported) before anything is mirrored.
import { parseDuration } from '../../../runtime/duration.ts';
import { Reasons } from '../../../runtime/events.ts';
import { currentStep } from './canary.ts';
import { analysisOf, analysisText, holdFor, holdText, judging, label, rollBack, rollout, standingHold, stayRolledBack } from './common.ts';
import { recreate } from './recreate.ts';
import { providerOf } from './traffic.ts';
import type { RolloutContext, RolloutDecision, RolloutEvent, RolloutStrategy } from './strategy.ts';

/** How soon a Shadow refused for its Gateway looks again (a GatewayClass is not watched). */
export const MIRROR_RECHECK_MS = 60_000;

export const SHADOW_DEFAULTS = { mirrorPercent: 100, duration: '10m', maxPredictionShift: 0.1 } as const;

export const shadow: RolloutStrategy = {
  name: 'Shadow',
  decide(ctx: RolloutContext): RolloutDecision {
    const { isvc, desired, serving } = ctx;
    const now = ctx.now ?? Date.now();
    if (!desired || !serving || serving.name === desired.name) return { ...recreate.decide(ctx), analysisHold: standingHold(ctx) };

    const r = rollout(ctx)!;
    const settings = { ...SHADOW_DEFAULTS, ...isvc.spec.rollout?.shadow };
    const again = stayRolledBack(r);
    if (again) return again;
    if (ctx.actions?.abort) return rollBack(r, 'aborted by the modelops.dev/abort annotation', Reasons.RolledBack, { abort: true });
    if (providerOf(isvc) !== 'GatewayAPI') {
      return {
        serve: serving.name,
        remove: r.others([serving.name]),
        phase: 'Paused',
        analysisHold: standingHold(ctx),
        progress: {
          status: 'False',
          reason: Reasons.InvalidSpec,
          message: `Shadow mirrors requests through an HTTPRoute: set spec.traffic.provider to GatewayAPI (with spec.traffic.gateway), or choose another strategy; ${label(serving)} keeps serving`,
        },
      };
    }
    if (ctx.mirroring?.supported === false && !ctx.actions?.promote) {
      // The candidate is kept, without traffic or copies: it goes on once the Gateway can mirror
      // (or switches at once when a person promotes it, which needs no mirror).
      return {
        serve: serving.name,
        remove: r.others([serving.name, desired.name]),
        phase: 'Paused',
        analysisHold: standingHold(ctx),
        requeueAfterMs: MIRROR_RECHECK_MS,
        progress: {
          status: 'False',
          reason: Reasons.MirrorUnsupported,
          message: `${ctx.mirroring.message}; nothing is mirrored and revision ${label(serving)} keeps serving: attach the route to a Gateway whose implementation mirrors requests, or choose strategy Canary or BlueGreen`,
        },
      };
    }
    if (!desired.available) {
      const waiting = recreate.decide(ctx);
      return { ...waiting, serve: serving.name, remove: r.others([serving.name, desired.name]), analysisHold: standingHold(ctx) };
    }

    const step = currentStep(isvc, desired.name, now);
    const analysis = analysisOf(ctx, desired.name, 0);
    const v = analysis.verdict;
    if (v?.phase === 'Failed') return rollBack(r, `the shadow comparison failed (no user saw its answers): ${v.message}`, Reasons.AnalysisFailed);

    const mirror = { name: desired.name, percent: settings.mirrorPercent };
    const events: RolloutEvent[] = [];
    const left = step.startMs + parseDuration(settings.duration) - now;
    const compared = analysis.passed;
    const held = ctx.actions?.promote ? undefined : holdFor(ctx, desired.name, 0, v, now);
    let hold: string | undefined;
    if (ctx.actions?.promote || (settings.promote && left <= 0 && compared && !ctx.paused && !held)) {
      if (ctx.actions?.promote) events.push({ type: 'Normal', reason: Reasons.ManualAction, action: 'Promote', note: `shadow revision ${label(desired)} promoted by the modelops.dev/promote annotation` });
      return {
        serve: desired.name,
        remove: r.others([desired.name]),
        acted: ctx.actions?.promote ? { promote: true } : {},
        events,
        progress: { status: 'True', reason: Reasons.RevisionPromoted, message: `revision ${label(desired)} serves after its shadow comparison` },
      };
    }
    if (ctx.paused) hold = 'paused (spec.rollout.paused or the modelops.dev/paused annotation)';
    else if (held) hold = holdText(held, 'switch', 'drop it');
    else if (left <= 0 && compared) hold = `the comparison passed over ${settings.duration}; annotate modelops.dev/promote to switch to it, or modelops.dev/abort to drop it`;

    return judging(r, {
      traffic: { mirror },
      step,
      now,
      analysing: analysis.enabled,
      where: `revision ${label(desired)} gets a copy of ${mirror.percent}% of the requests; ${label(serving)} answers all of them${ctx.mirroring && ctx.mirroring.supported === undefined ? ` (${ctx.mirroring.message})` : ''}`,
      hold,
      progressing: `${analysisText(analysis.enabled, v)}; ${Math.max(0, Math.ceil(left / 1000))}s of comparison left`,
      analysisHold: held,
      events,
      requeueAfterMs: left > 0 ? left : undefined,
    });
  },
};
