// The TrainingJob status as a pure function of the report on its current run and, for a
// scheduled TrainingJob, its schedule and run history.
import type { TrainingJob, TrainingJobStatus, TrainingRun } from '../../api/v1alpha1/types.ts';
import { setCondition } from '../../runtime/conditions.ts';
import type { Condition } from '../../runtime/conditions.ts';
import { Reasons } from '../../runtime/events.ts';
import type { Reason } from '../../runtime/events.ts';
import type { RunReport } from './run.ts';

/** Fields that describe one run; a new run starts without the previous run's. */
const RUN_FIELDS = ['jobName', 'datasetVersion', 'startTime', 'completionTime', 'metrics', 'baselineMetrics', 'primaryMetric', 'gate', 'imageDigest', 'failureReason'] as const;

export interface ScheduleState {
  /** Runs, newest first. */
  runs: TrainingRun[];
  lastScheduleTime?: string;
  nextScheduleTime?: string;
  /** True while a run is active. */
  active: boolean;
  /** Set when no run is active: why the TrainingJob waits (suspended, next time...). */
  waiting?: { reason: Reason; message: string };
}

export function computeStatus(tj: TrainingJob, report: RunReport | undefined, now: Date, schedule?: ScheduleState): TrainingJobStatus {
  const previous = tj.status ?? {};
  const generation = tj.metadata.generation;
  const status: TrainingJobStatus = { ...previous, observedGeneration: generation };
  let conditions = previous.conditions as Condition[] | undefined;

  if (report) {
    if (report.job !== previous.jobName) for (const f of RUN_FIELDS) delete status[f];
    const { phase, reason, message, job, modelVersion, ...fields } = report;
    Object.assign(status, fields);
    if (job) status.jobName = job;
    // modelVersion stays that of the last successful run until another one succeeds.
    if (modelVersion) status.modelVersion = modelVersion;
    status.phase = phase;
    conditions = setCondition(conditions, { type: 'Ready', status: phase === 'Succeeded' ? 'True' : 'False', reason, message }, now, generation);
  }

  if (schedule) {
    status.runs = schedule.runs;
    // Runs can finish out of order (concurrencyPolicy Allow): the newest registered one wins.
    const registered = schedule.runs.find((r) => r.modelVersion)?.modelVersion;
    if (registered) status.modelVersion = registered;
    if (schedule.lastScheduleTime) status.lastScheduleTime = schedule.lastScheduleTime;
    if (schedule.nextScheduleTime) status.nextScheduleTime = schedule.nextScheduleTime;
    else delete status.nextScheduleTime;
    if (schedule.active) status.phase = 'Running';
    else if (schedule.waiting && (!report || report.phase !== 'Pending')) {
      // Between runs: the last run's result stays in the fields and the Ready condition.
      status.phase = 'Scheduled';
      conditions = setCondition(conditions, { type: 'Scheduled', status: 'True', reason: schedule.waiting.reason, message: schedule.waiting.message }, now, generation);
    }
    if (!report && !findReady(conditions)) {
      conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: Reasons.WaitingForSchedule, message: 'no run has finished yet' }, now, generation);
    }
  }
  status.phase ??= 'Pending';
  status.conditions = conditions ?? [];
  return status;
}

function findReady(conditions: readonly Condition[] | undefined): boolean {
  return !!conditions?.some((c) => c.type === 'Ready');
}
