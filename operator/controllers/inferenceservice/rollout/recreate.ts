// The immediate switch: the new revision starts beside the serving one, and once every Pod it
// asks for is available the Service is pointed at it in one step and the old revisions are
// deleted (their Pods drain for SHUTDOWN_DRAIN_DELAY_MS while endpoints update). A new revision
// that never becomes available never gets traffic: the old one keeps serving, and the
// Progressing condition says what blocks it. No analysis, no weights: that is Canary's job.
import { Reasons } from '../../../runtime/events.ts';
import type { RolloutContext, RolloutDecision, RolloutStrategy } from './strategy.ts';

function pods(r: { readyReplicas: number; replicas: number }): string {
  return `${r.readyReplicas}/${r.replicas} Pods ready`;
}

export const recreate: RolloutStrategy = {
  name: 'Recreate',
  decide(ctx: RolloutContext): RolloutDecision {
    const { desired, serving, older } = ctx;
    const others = (keep: readonly (string | undefined)[]) => [...older.map((r) => r.name), ...(serving ? [serving.name] : [])].filter((n) => !keep.includes(n));
    if (!desired) {
      // The model does not resolve: keep serving what serves, drop only what nothing wants.
      return { serve: serving?.name, remove: others([serving?.name]) };
    }
    if (serving?.name === desired.name) {
      return {
        serve: desired.name,
        remove: others([desired.name]),
        progress: { status: 'True', reason: Reasons.RevisionPromoted, message: `revision ${desired.name} (${desired.modelVersion}) serves` },
      };
    }
    if (desired.available) {
      return {
        serve: desired.name,
        remove: others([desired.name]),
        progress: { status: 'True', reason: Reasons.RevisionPromoted, message: `revision ${desired.name} (${desired.modelVersion}) serves` },
      };
    }
    const keeping = serving ? `; ${serving.name} (${serving.modelVersion}) keeps serving` : '';
    return {
      serve: serving?.name,
      remove: others([serving?.name, desired.name]),
      progress: desired.problem
        ? { status: 'False', reason: Reasons.RevisionBlocked, message: `revision ${desired.name} (${desired.modelVersion}) cannot become ready: ${desired.problem}${keeping}` }
        : { status: 'True', reason: Reasons.RevisionStarting, message: `waiting for revision ${desired.name} (${desired.modelVersion}): ${pods(desired)}${keeping}` },
    };
  },
};
