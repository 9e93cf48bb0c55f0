// What one training run's Job and Pods say, read as pure data: still running (and whether
// stuck), failed (and why, in the trainer's own words when it left them), or trained (the
// termination message of rank 0, checked against the contract and the gate).
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { TrainingJob, TrainingJobStatus } from '../../api/v1alpha1/types.ts';
import { Reasons } from '../../runtime/events.ts';
import type { Reason } from '../../runtime/events.ts';
import { containerTermination, explainFailure, imageDigest, jobOutcome, latestFirst, podProblem } from '../../runtime/jobs.ts';
import { CONTAINER } from './desired.ts';
import { evaluateGate, gatePassed, gateSummary } from './gate.ts';
import { ContractError, parseTerminationMessage, primaryMetric } from './result.ts';
import type { TrainerSuccess } from './result.ts';

export type RunPhase = 'Pending' | 'Running' | 'Succeeded' | 'Rejected' | 'Failed';
export const FINISHED: ReadonlySet<string> = new Set(['Succeeded', 'Rejected', 'Failed']);

/** Everything status needs about one run (or about why there is none yet). */
export interface RunReport
  extends Pick<
    TrainingJobStatus,
    'datasetVersion' | 'startTime' | 'completionTime' | 'metrics' | 'baselineMetrics' | 'primaryMetric' | 'gate' | 'modelVersion' | 'imageDigest' | 'failureReason'
  > {
  phase: RunPhase;
  reason: Reason;
  message: string;
  job?: string;
}

/** Annotations on the Job that record what the run was given, read back after a restart. */
export const ANNOTATION_DATASET_VERSION = 'modelops.dev/dataset-version';
export const ANNOTATION_DATASET_DIGEST = 'modelops.dev/dataset-digest';

const INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

/** RFC 3339 in whole seconds, as the API server writes times. */
const iso = (t: Date | string | undefined) => (t === undefined ? undefined : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'));

/** The Pods of this Job (not of an earlier Job that had the same name). */
export function podsOfJob(pods: readonly V1Pod[], job: V1Job): V1Pod[] {
  const uid = job.metadata?.uid;
  return pods.filter((p) => p.metadata?.ownerReferences?.some((r) => r.kind === 'Job' && r.uid === uid));
}

/** The Pod whose termination message is the run's result: rank 0, the one that ended last. */
export function rankZeroPod(pods: readonly V1Pod[], succeeded: boolean): V1Pod | undefined {
  const ended = latestFirst(pods, CONTAINER).filter((p) => containerTermination(p, CONTAINER));
  const rank0 = ended.filter((p) => (p.metadata?.annotations?.[INDEX_ANNOTATION] ?? '0') === '0');
  if (succeeded) return rank0.find((p) => containerTermination(p, CONTAINER)!.exitCode === 0);
  return rank0[0] ?? ended[0];
}

function base(job: V1Job): Pick<RunReport, 'job' | 'datasetVersion' | 'startTime'> {
  const startTime = iso(job.status?.startTime ?? job.metadata?.creationTimestamp);
  const datasetVersion = job.metadata?.annotations?.[ANNOTATION_DATASET_VERSION];
  return { job: job.metadata!.name!, ...(datasetVersion ? { datasetVersion } : {}), ...(startTime ? { startTime } : {}) };
}

export function runningReport(job: V1Job, pods: readonly V1Pod[]): RunReport {
  // Only a Pod that has not started can be stuck (a Running Pod's scheduling condition is history).
  const problem = pods.filter((p) => (p.status?.phase ?? 'Pending') === 'Pending').map((p) => podProblem(p, CONTAINER)).find(Boolean);
  return problem
    ? { ...base(job), phase: 'Running', reason: Reasons.TrainingBlocked, message: `run ${job.metadata!.name}: ${problem}` }
    : { ...base(job), phase: 'Running', reason: Reasons.Training, message: `run ${job.metadata!.name} is training` };
}

/** A Job that failed: the trainer's own reason and text when it left a Failed message, else the Pods' story. */
export function failedReport(job: V1Job, pods: readonly V1Pod[]): RunReport {
  const outcome = jobOutcome(job);
  let failureReason = explainFailure(job, pods, CONTAINER);
  const pod = rankZeroPod(pods, false);
  const text = pod && containerTermination(pod, CONTAINER)?.message;
  if (text && outcome.state === 'Failed' && outcome.reason !== 'DeadlineExceeded') {
    try {
      const r = parseTerminationMessage(text);
      if (r.status === 'Failed') failureReason = `${r.reason}: ${r.message}`;
    } catch {
      // Not a contract message (a crash's log tail): explainFailure already quotes it.
    }
  }
  const completionTime = outcome.state === 'Failed' ? outcome.completionTime : undefined;
  return { ...base(job), phase: 'Failed', reason: Reasons.TrainingFailed, message: failureReason, failureReason, ...(completionTime ? { completionTime: iso(completionTime)! } : {}) };
}

export type TrainedRun =
  | { kind: 'report'; report: RunReport }
  | { kind: 'passed'; report: RunReport; result: TrainerSuccess };

/**
 * A Job that completed: the result of rank 0 against the contract and the gate. A run that
 * passed still needs registering (the caller does that, and fills in modelVersion).
 */
export function trainedRun(tj: TrainingJob, job: V1Job, pods: readonly V1Pod[]): TrainedRun {
  const outcome = jobOutcome(job);
  const completionTime = iso(outcome.state === 'Succeeded' ? outcome.completionTime : undefined);
  const head = { ...base(job), ...(completionTime ? { completionTime } : {}) };
  const pod = rankZeroPod(pods, true);
  const failed = (message: string): TrainedRun => ({ kind: 'report', report: { ...head, phase: 'Failed', reason: Reasons.TrainingFailed, message, failureReason: message } });
  if (!pod) return failed(`the Job completed but no Pod of rank 0 with a result is left (deleted before modelops read its termination message)`);
  let result;
  try {
    result = parseTerminationMessage(containerTermination(pod, CONTAINER)?.message);
  } catch (err) {
    if (err instanceof ContractError) return failed(`the trainer broke its contract: ${err.message}`);
    throw err;
  }
  if (result.status === 'Failed') return failed(`${result.reason}: ${result.message}`);
  const digest = imageDigest(pod, CONTAINER);
  const gate = evaluateGate(tj.spec.gate, result.metrics, result.baselineMetrics);
  const headline = primaryMetric(result);
  const report: RunReport = {
    ...head,
    phase: 'Succeeded',
    reason: Reasons.ModelRegistered,
    message: '',
    metrics: result.metrics,
    baselineMetrics: result.baselineMetrics,
    ...(headline ? { primaryMetric: headline } : {}),
    ...(gate.length ? { gate } : {}),
    ...(digest ? { imageDigest: digest } : {}),
  };
  if (!gatePassed(gate)) return { kind: 'report', report: { ...report, phase: 'Rejected', reason: Reasons.GateNotMet, message: `gate not met: ${gateSummary(gate)}; nothing registered` } };
  return { kind: 'passed', report, result };
}
