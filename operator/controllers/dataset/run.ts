// What one ingest run (a Job and its Pods) says, as pure data: which run it is, whether it is
// still going and what it waits for, the ingest's result, or why it failed.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { parseIngestResult } from '../../data/contract.ts';
import type { IngestSucceeded } from '../../data/contract.ts';
import { containerTermination, explainFailure, jobOutcome, latestFirst, podProblem } from '../../runtime/jobs.ts';
import { ANNOTATION_REFRESH, ANNOTATION_SCHEDULED_AT, ANNOTATION_SPEC_HASH, ANNOTATION_TRIGGER, CONTAINER } from './desired.ts';
import type { Trigger } from './desired.ts';

export interface RunFailure {
  /** The ingest's own reason (ValidationFailed, InvalidConfiguration, SourceUnavailable...) or IngestFailed. */
  reason: string;
  message: string;
}

export interface RunView {
  job: string;
  trigger: Trigger;
  specHash?: string;
  /** The Dataset's refresh token when the Job was made. */
  token?: string;
  /** For a run that also served a scheduled refresh: its scheduled time. */
  scheduledAt?: string;
  createdAt?: string;
  state: 'Active' | 'Succeeded' | 'Failed';
  /** When the run ended (second precision). */
  finishedAt?: string;
  /** Succeeded: the ingest's result (undefined when no Pod holds it any more). */
  result?: IngestSucceeded;
  /** Failed: why. */
  failure?: RunFailure;
  /** Active: what it waits for; blocked when it cannot go on without a change by the user. */
  waiting?: { blocked: boolean; message: string };
}

const seconds = (t: string | Date | undefined): string | undefined => {
  if (t === undefined) return undefined;
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
};

/** The run's newest Job: by creation time, then name. Jobs being deleted do not count. */
export function newestJob(jobs: readonly V1Job[]): V1Job | undefined {
  let best: V1Job | undefined;
  let bestKey = '';
  for (const j of jobs) {
    if (j.metadata?.deletionTimestamp) continue;
    const key = `${seconds(j.metadata?.creationTimestamp) ?? ''} ${j.metadata?.name ?? ''}`;
    if (!best || key > bestKey) {
      best = j;
      bestKey = key;
    }
  }
  return best;
}

/** The ingest's failure, in its own words when it wrote them, for one Pod that failed. */
function podFailure(pod: V1Pod): RunFailure | undefined {
  const t = containerTermination(pod, CONTAINER);
  if (!t || t.exitCode === 0) return undefined;
  const parsed = parseIngestResult(t.message);
  if (parsed && parsed.ok === false) return { reason: parsed.reason, message: parsed.message };
  return undefined;
}

/** Reasons of the ingest (docs/contracts-data.md) that become condition reasons as they are. */
const OWN_REASONS = new Set(['ValidationFailed', 'InvalidConfiguration', 'SourceUnavailable', 'StoreUnavailable', 'ResourcesExhausted']);

export function observeRun(job: V1Job, pods: readonly V1Pod[]): RunView {
  const a = job.metadata?.annotations ?? {};
  const trigger = (['spec', 'schedule', 'refresh'] as const).find((t) => t === a[ANNOTATION_TRIGGER]) ?? 'spec';
  const createdAt = seconds(job.metadata?.creationTimestamp);
  const base: Omit<RunView, 'state'> = {
    job: job.metadata!.name!,
    trigger,
    ...(a[ANNOTATION_SPEC_HASH] ? { specHash: a[ANNOTATION_SPEC_HASH] } : {}),
    ...(a[ANNOTATION_REFRESH] ? { token: a[ANNOTATION_REFRESH] } : {}),
    ...(a[ANNOTATION_SCHEDULED_AT] ? { scheduledAt: a[ANNOTATION_SCHEDULED_AT] } : {}),
    ...(createdAt ? { createdAt } : {}),
  };
  const ordered = latestFirst(pods, CONTAINER);
  const outcome = jobOutcome(job);
  // The Job's informer can be ahead of the Pods': a Pod still running in the cache has not
  // told its result yet. Wait for it rather than report a run without one.
  const lagging = pods.some((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata?.deletionTimestamp);
  const reading = { ...base, state: 'Active' as const, waiting: { blocked: false, message: `ingest Job ${base.job} has finished; reading its result from its Pod` } };

  if (outcome.state === 'Succeeded') {
    const finishedAt = seconds(outcome.completionTime);
    let result: IngestSucceeded | undefined;
    for (const pod of ordered) {
      const t = containerTermination(pod, CONTAINER);
      const parsed = t?.exitCode === 0 ? parseIngestResult(t.message) : undefined;
      if (parsed?.ok === true) {
        result = parsed;
        break;
      }
    }
    if (!result && lagging) return reading;
    return { ...base, state: 'Succeeded', ...(finishedAt ? { finishedAt } : {}), ...(result ? { result } : {}) };
  }

  if (outcome.state === 'Failed') {
    const finishedAt = seconds(outcome.completionTime);
    let failure: RunFailure | undefined;
    for (const pod of ordered) {
      failure = podFailure(pod);
      if (failure || containerTermination(pod, CONTAINER)) break;
    }
    if (!failure && lagging) return reading;
    if (failure && !OWN_REASONS.has(failure.reason)) failure = { reason: 'IngestFailed', message: `${failure.reason}: ${failure.message}` };
    failure ??= { reason: 'IngestFailed', message: explainFailure(job, pods, CONTAINER) };
    return { ...base, state: 'Failed', ...(finishedAt ? { finishedAt } : {}), failure };
  }

  // Still running: say what it waits for.
  const live = ordered.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata?.deletionTimestamp);
  const failedBefore = job.status?.failed ?? 0;
  let previous = '';
  if (failedBefore > 0) {
    const last = ordered.find((p) => p.status?.phase === 'Failed');
    const f = last ? podFailure(last) : undefined;
    const t = last ? containerTermination(last, CONTAINER) : undefined;
    const why = f ? `${f.reason}: ${f.message}` : t ? `exit code ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}` : 'unknown';
    previous = `; retrying after ${failedBefore} failed attempt${failedBefore > 1 ? 's' : ''} (last: ${why.slice(0, 512)})`;
  }
  for (const pod of live) {
    const problem = podProblem(pod, CONTAINER);
    if (problem) return { ...base, state: 'Active', waiting: { blocked: true, message: `ingest Job ${base.job}: ${problem}${previous}` } };
  }
  const pod = live[0];
  const ended = ordered[0];
  const message = !pod
    ? ended?.status?.phase === 'Succeeded'
      ? `ingest Job ${base.job} is finishing (Pod ${ended.metadata?.name} has ended)`
      : `ingest Job ${base.job} is starting (waiting for ${ended ? 'its next Pod' : 'its Pod'})`
    : pod.status?.phase === 'Running'
      ? `ingest Job ${base.job} is running (Pod ${pod.metadata?.name})`
      : `ingest Job ${base.job} is waiting for Pod ${pod.metadata?.name} to start`;
  return { ...base, state: 'Active', waiting: { blocked: false, message: `${message}${previous}` } };
}
