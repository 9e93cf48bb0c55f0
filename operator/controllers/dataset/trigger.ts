// When to ingest: the decision, as a pure function of the Dataset, its newest run and the
// clock. A run starts when the ingest part of the spec differs from the newest run's, when the
// refresh annotation holds a value the newest run did not see, or when a scheduled refresh is
// due. Never two at once: while a run is active nothing starts.
import type { Dataset } from '../../api/v1alpha1/types.ts';
import { decide } from '../../runtime/schedule.ts';
import { ANNOTATION_REFRESH, ingestSpecHash } from './desired.ts';
import type { RunRequest } from './desired.ts';
import type { RunView } from './run.ts';

export interface Plan {
  /** The run to start now, if any. */
  run?: RunRequest;
  /** Why, in words, for the event. */
  why?: string;
  /** The next scheduled refresh (absent without a schedule or while suspended). */
  next?: Date;
  /** Scheduled refreshes that passed without a run of their own. */
  missed: number;
}

export function planRun(ds: Dataset, newest: RunView | undefined, now: Date, lastScheduleTime: Date | undefined): Plan {
  const plan: Plan = { missed: 0 };
  const token = ds.metadata.annotations?.[ANNOTATION_REFRESH] ?? '';
  let due: Date | undefined;
  const refresh = ds.spec.refresh;
  if (refresh && !refresh.suspend) {
    const created = ds.metadata.creationTimestamp ? new Date(ds.metadata.creationTimestamp) : now;
    const d = decide(refresh.schedule, refresh.timeZone, lastScheduleTime ?? created, now, refresh.startingDeadlineSeconds);
    plan.next = d.next;
    plan.missed = d.missed;
    due = d.due;
  }
  if (newest?.state === 'Active') return plan;

  if (!newest) {
    plan.run = { trigger: 'spec' };
    plan.why = 'first ingest';
  } else if (newest.specHash !== ingestSpecHash(ds.spec)) {
    plan.run = { trigger: 'spec' };
    plan.why = `the spec changed (generation ${ds.metadata.generation ?? 1})`;
  } else if (token && newest.token !== token) {
    plan.run = { trigger: 'refresh' };
    plan.why = `a refresh was requested (${ANNOTATION_REFRESH}=${token})`;
  } else if (due) {
    plan.run = { trigger: 'schedule', scheduledAt: due };
    plan.why = `the refresh scheduled at ${due.toISOString()} is due`;
  }
  // A run started for another reason also serves a scheduled refresh that is due.
  if (plan.run && due && !plan.run.scheduledAt) plan.run.scheduledAt = due;
  return plan;
}
