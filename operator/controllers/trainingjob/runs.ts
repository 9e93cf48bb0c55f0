// Bookkeeping of a scheduled TrainingJob's runs, as pure functions: their order, their entry
// in status.runs, and which finished Jobs the history limits remove.
import type { V1Job } from '@kubernetes/client-node';
import type { TrainingRun } from '../../api/v1alpha1/types.ts';
import { jobOutcome } from '../../runtime/jobs.ts';
import { FINISHED } from './run.ts';
import type { RunReport } from './run.ts';

const created = (j: V1Job) => {
  const t = j.metadata?.creationTimestamp;
  return t instanceof Date ? t.toISOString() : String(t ?? '');
};

/** Jobs newest first: by creation time, then by name (scheduled names grow with time). */
export function newestFirst(jobs: readonly V1Job[]): V1Job[] {
  return [...jobs].sort((a, b) => created(b).localeCompare(created(a)) || b.metadata!.name!.localeCompare(a.metadata!.name!, 'en', { numeric: true }));
}

export function runEntry(r: RunReport): TrainingRun {
  return {
    name: r.job!,
    phase: r.phase,
    ...(r.startTime ? { startTime: r.startTime } : {}),
    ...(r.completionTime ? { completionTime: r.completionTime } : {}),
    ...(r.modelVersion ? { modelVersion: r.modelVersion } : {}),
  };
}

/**
 * Finished Jobs beyond the history limits, oldest first. Only runs whose result status already
 * records are removed, so a result is never lost with its Pods. A Job that completed counts as
 * successful (Succeeded or Rejected), one that failed as failed, as with a CronJob.
 */
export function jobsToDelete(jobsNewestFirst: readonly V1Job[], recorded: ReadonlyMap<string, TrainingRun>, successfulLimit: number, failedLimit: number): V1Job[] {
  const done = jobsNewestFirst.filter((j) => FINISHED.has(recorded.get(j.metadata!.name!)?.phase ?? '') && jobOutcome(j).state !== 'Active');
  const succeeded = done.filter((j) => jobOutcome(j).state === 'Succeeded');
  const failed = done.filter((j) => jobOutcome(j).state === 'Failed');
  return [...succeeded.slice(successfulLimit), ...failed.slice(failedLimit)].reverse();
}
