// The retraining action: whether a drifted run may start a TrainingJob now (at most one in
// flight, a cooldown between two), and the TrainingJob it starts, built from the spec's
// template on the latest version of the reference Dataset. Pure and deterministic: the name
// comes from the run's scheduled time, so a restarted operator repeating the run creates nothing new.
import type { DriftMonitor, TrainingJob } from '../../api/v1alpha1/types.ts';
import { Reasons } from '../../runtime/events.ts';
import type { Reason } from '../../runtime/events.ts';

export const LABEL_DRIFT_MONITOR = 'modelops.dev/drift-monitor';
/** The scheduled time of the run that started a retraining (ISO 8601). */
export const ANNOTATION_DRIFT_RUN = 'modelops.dev/drift-run';
/** Set to a new value (e.g. the time) to ask for a run now, outside the schedule. */
export const ANNOTATION_RUN = 'modelops.dev/run';
/** The cooldown when the spec leaves it out (the CRD's default). */
export const DEFAULT_COOLDOWN_MS = 24 * 3_600_000;

const FINISHED = new Set(['Succeeded', 'Rejected', 'Failed']);

/** A TrainingJob still working: not yet in a final phase (a new one has no status yet). */
export function isInFlight(job: TrainingJob): boolean {
  return !job.metadata.deletionTimestamp && !FINISHED.has(job.status?.phase ?? '');
}

/** When this monitor last started a retraining: the status's record, or a job it created after that (a status write lost in a restart). */
export function lastRetrainTime(dm: DriftMonitor, jobs: readonly TrainingJob[]): Date | undefined {
  let latest = dm.status?.lastRetrainTime ? new Date(dm.status.lastRetrainTime) : undefined;
  for (const j of jobs) {
    const at = j.metadata.annotations?.[ANNOTATION_DRIFT_RUN];
    const t = at ? new Date(at) : undefined;
    if (t && !Number.isNaN(t.getTime()) && (!latest || t > latest)) latest = t;
  }
  return latest;
}

export type RetrainDecision = { start: true } | { start: false; reason: Reason; message: string };

/** Whether a drifted run may start a retraining now. `jobs`: the TrainingJobs this monitor controls. */
export function decideRetrain(dm: DriftMonitor, jobs: readonly TrainingJob[], cooldownMs: number, now: Date): RetrainDecision {
  const running = jobs.filter(isInFlight).map((j) => j.metadata.name!).sort();
  if (running.length) return { start: false, reason: Reasons.RetrainingInFlight, message: `TrainingJob ${running.join(', ')} started by this monitor has not finished; no second retraining meanwhile` };
  const last = lastRetrainTime(dm, jobs);
  if (last && now.getTime() - last.getTime() < cooldownMs) {
    const until = new Date(last.getTime() + cooldownMs).toISOString();
    return { start: false, reason: Reasons.CooldownActive, message: `the last retraining started at ${last.toISOString()}; spec.actions.retrain.cooldown allows the next from ${until}` };
  }
  return { start: true };
}

/** The run annotation's value when it asks for a run not yet answered (status.lastRunRequest). */
export function runRequest(dm: DriftMonitor): string | undefined {
  const token = dm.metadata.annotations?.[ANNOTATION_RUN];
  return token && token !== dm.status?.lastRunRequest ? token : undefined;
}

/** YYYYMMDDhhmmss of a time in UTC. */
function compactTime(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * The TrainingJob's name for a run: from its scheduled time, or for a requested run from the
 * annotation's value (`runKey`), so repeating the same run gives the same name. At most 63 characters.
 */
export function retrainJobName(dm: DriftMonitor, runTime: Date, runKey?: string): string {
  const suffix = `-retrain-${runKey ?? compactTime(runTime)}`;
  return `${dm.metadata.name!.slice(0, 63 - suffix.length).replace(/[-.]+$/, '')}${suffix}`;
}

/**
 * The TrainingJob a drifted run starts: the template's spec on the reference Dataset without a
 * pinned version (its current version when the run starts), without a schedule (one run), with
 * spec.actions.retrain.aliases added to the registration's aliases so the new ModelVersion can
 * roll out through an InferenceService that follows the alias. The owner reference is added by
 * the reconciler.
 */
export function desiredTrainingJob(dm: DriftMonitor, referenceDataset: string, runTime: Date, runKey?: string): TrainingJob {
  const retrain = dm.spec.actions!.retrain!;
  const { schedule: _schedule, concurrencyPolicy: _policy, suspend: _suspend, successfulRunsHistoryLimit: _s, failedRunsHistoryLimit: _f, ...spec } = structuredClone(retrain.template.spec);
  const aliases = [...new Set([...(spec.registration?.aliases ?? []), ...(retrain.aliases ?? [])])];
  const meta = retrain.template.metadata ?? {};
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'TrainingJob',
    metadata: {
      name: retrainJobName(dm, runTime, runKey),
      namespace: dm.metadata.namespace!,
      labels: { ...(meta.labels ?? {}), 'app.kubernetes.io/managed-by': 'modelops', [LABEL_DRIFT_MONITOR]: dm.metadata.name! },
      annotations: { ...(meta.annotations ?? {}), [ANNOTATION_DRIFT_RUN]: runTime.toISOString() },
    },
    spec: {
      ...spec,
      datasetRef: { name: referenceDataset },
      ...(aliases.length ? { registration: { ...(spec.registration ?? {}), aliases } } : {}),
    },
  };
}
