// The Dataset status as a pure function of the previous status and what the reconcile observed:
// the newest run, a run about to start, the schedule, a spec the operator cannot act on.
// A failed run never touches currentVersion: the last good version stays current.
import type { Dataset, DatasetStatus, DatasetVersion } from '../../api/v1alpha1/types.ts';
import { findCondition, setCondition } from '../../runtime/conditions.ts';
import type { Condition, ConditionUpdate } from '../../runtime/conditions.ts';
import { Reasons } from '../../runtime/events.ts';
import { ANNOTATION_REFRESH } from './desired.ts';
import { HISTORY_LIMIT } from './retention.ts';
import type { RunView } from './run.ts';

export interface Observed {
  /** The newest run, if any. */
  run?: RunView;
  /** A run about to be started in this reconcile: its Job name and whether the spec asked for it. */
  starting?: { job: string; spec: boolean };
  /** Something the operator cannot act on: an invalid schedule, no artifact store, a Job name taken. */
  blocked?: { reason: string; message: string };
  /** The next scheduled refresh; absent without a schedule or while suspended. */
  next?: Date;
  /** The scheduled time of the newest run that served a scheduled refresh. */
  lastScheduleTime?: Date;
}

export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const ms = (t: string | undefined) => (t ? new Date(t).getTime() : Number.NEGATIVE_INFINITY);

/** The history with `v` first: the same digest is never listed twice. */
export function withVersion(versions: readonly DatasetVersion[] | undefined, v: DatasetVersion): DatasetVersion[] {
  return [v, ...(versions ?? []).filter((x) => x.digest !== v.digest)].slice(0, HISTORY_LIMIT);
}

function currentText(status: DatasetStatus): string {
  const c = status.currentVersion;
  return c ? `; version ${c.version} (${c.rows} rows) stays current` : '';
}

export function computeStatus(ds: Dataset, observed: Observed, now: Date): DatasetStatus {
  const previous = ds.status ?? {};
  const generation = ds.metadata.generation;
  const status: DatasetStatus = { ...previous, observedGeneration: generation };
  let conditions = previous.conditions as Condition[] | undefined;
  const set = (u: ConditionUpdate) => {
    conditions = setCondition(conditions, u, now, generation);
  };
  const wasReady = findCondition(conditions, 'Ready')?.status === 'True';
  const run = observed.run;

  if (run) {
    status.ingestJob = run.job;
    // A run that ended before the last one recorded (the newest Job was deleted) says nothing new.
    const fresh = run.finishedAt !== undefined && ms(run.finishedAt) >= ms(previous.lastIngestTime);
    // Recorded already, and its Pod gone since (garbage-collected): nothing to change.
    const recorded = previous.ingestJob === run.job && previous.lastIngestTime === run.finishedAt;
    if (run.state === 'Succeeded' && fresh && !(recorded && !run.result)) {
      status.lastIngestTime = run.finishedAt!;
      if (run.result) {
        // A digest already listed keeps its entry: createdAt is when it was first ingested (a
        // re-ingest that reuses the stored data reports the object's time, which may differ).
        const v = previous.versions?.find((x) => x.digest === run.result!.version.digest) ?? run.result.version;
        status.currentVersion = v;
        status.versions = withVersion(previous.versions, v);
        status.columns = run.result.columns;
        status.invalidRows = run.result.invalidRows;
        status.phase = 'Ready';
        const trimmed = run.result.trimmed?.length ? `; the status profile is trimmed (${run.result.trimmed.join(', ')}), the full one is at ${v.profileUri}` : '';
        const dropped = run.result.invalidRows > 0 ? `, ${run.result.invalidRows} invalid rows dropped` : '';
        set({ type: 'Ready', status: 'True', reason: Reasons.Ingested, message: `version ${v.version} (${v.rows} rows${dropped}) is current${trimmed}` });
      } else {
        status.phase = 'Failed';
        set({ type: 'Ready', status: 'False', reason: Reasons.IngestFailed, message: `ingest Job ${run.job} succeeded but its Pod, which holds the result, is gone; set the ${ANNOTATION_REFRESH} annotation to a new value to ingest again${currentText(status)}` });
      }
    } else if (run.state === 'Failed' && fresh) {
      status.lastIngestTime = run.finishedAt!;
      status.phase = 'Failed';
      set({ type: 'Ready', status: 'False', reason: run.failure!.reason, message: `${run.failure!.message}${currentText(status)}` });
    } else if (run.state === 'Active') {
      status.phase = 'Ingesting';
      const reason = run.waiting?.blocked ? Reasons.IngestBlocked : Reasons.Ingesting;
      const message = run.waiting?.message ?? `ingest Job ${run.job} is running`;
      // A refresh of an unchanged spec keeps a Ready Dataset Ready, even when blocked: its
      // version stays usable; the Ingesting condition and an event tell what the run waits for.
      if (run.trigger === 'spec' || !wasReady) set({ type: 'Ready', status: 'False', reason, message: `${message}${currentText(status)}` });
      set({ type: 'Ingesting', status: 'True', reason, message });
    }
  }

  if (observed.starting) {
    const { job, spec } = observed.starting;
    status.ingestJob = job;
    status.phase = 'Ingesting';
    const message = `starting ingest Job ${job}`;
    if (spec || !wasReady) set({ type: 'Ready', status: 'False', reason: Reasons.Ingesting, message: `${message}${currentText(status)}` });
    set({ type: 'Ingesting', status: 'True', reason: Reasons.Ingesting, message });
  } else if (!run || run.state !== 'Active') {
    const next = observed.next ? `; the next scheduled refresh is at ${rfc3339(observed.next)}` : '';
    set({ type: 'Ingesting', status: 'False', reason: Reasons.Idle, message: `no ingest is running${next}` });
  }

  if (observed.blocked) {
    status.phase = 'Failed';
    set({ type: 'Ready', status: 'False', reason: observed.blocked.reason, message: `${observed.blocked.message}${currentText(status)}` });
  }

  if (!status.phase) status.phase = 'Pending';
  if (!findCondition(conditions, 'Ready')) set({ type: 'Ready', status: 'False', reason: Reasons.Ingesting, message: 'no ingest has run yet' });

  if (observed.next) status.nextRefreshTime = rfc3339(observed.next);
  else delete status.nextRefreshTime;
  if (observed.lastScheduleTime && ms(rfc3339(observed.lastScheduleTime)) > ms(previous.lastScheduleTime)) status.lastScheduleTime = rfc3339(observed.lastScheduleTime);
  status.conditions = conditions;
  return status;
}
