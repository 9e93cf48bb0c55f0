// What a batch/v1 Job and its Pods say about a run, read as pure data: whether it is still
// running, how it ended, the container's termination message, and a failure explained in
// words a user can act on (out of memory, image pull, deadline, the container's own text).
// Shared by the Dataset (ingest) and TrainingJob (training) controllers.
import type { V1ContainerStatus, V1Job, V1Pod } from '@kubernetes/client-node';

export type JobOutcome =
  | { state: 'Active' }
  | { state: 'Succeeded'; completionTime?: string }
  | { state: 'Failed'; reason: string; message: string; completionTime?: string };

/**
 * The Job's terminal state from its conditions. Since Kubernetes 1.31 a failing Job first gets
 * FailureTarget (Pods still terminating) and only then Failed; a run counts as over at Failed
 * or Complete, so no Pod of it is still writing.
 */
export function jobOutcome(job: V1Job): JobOutcome {
  const conds = job.status?.conditions ?? [];
  const at = (t?: Date | string) => (t === undefined ? undefined : t instanceof Date ? t.toISOString() : String(t));
  const complete = conds.find((c) => c.type === 'Complete' && c.status === 'True');
  if (complete) {
    const completionTime = at(job.status?.completionTime ?? complete.lastTransitionTime);
    return { state: 'Succeeded', ...(completionTime ? { completionTime } : {}) };
  }
  const failed = conds.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) {
    const completionTime = at(failed.lastTransitionTime);
    return { state: 'Failed', reason: failed.reason ?? 'Failed', message: failed.message ?? '', ...(completionTime ? { completionTime } : {}) };
  }
  return { state: 'Active' };
}

export interface ContainerTermination {
  exitCode: number;
  /** The runtime's reason: Completed, Error, OOMKilled, ContainerCannotRun, DeadlineExceeded... */
  reason?: string;
  /** The termination message (the file at terminationMessagePath, or the log tail as fallback). */
  message?: string;
  finishedAt?: string;
}

function statusOf(pod: V1Pod, container: string): V1ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((s) => s.name === container);
}

/** How the container of a Pod ended, if it has. */
export function containerTermination(pod: V1Pod, container: string): ContainerTermination | undefined {
  const s = statusOf(pod, container);
  const t = s?.state?.terminated ?? s?.lastState?.terminated;
  if (!t) return undefined;
  const finishedAt = t.finishedAt instanceof Date ? t.finishedAt.toISOString() : t.finishedAt ? String(t.finishedAt) : undefined;
  return {
    exitCode: t.exitCode,
    ...(t.reason ? { reason: t.reason } : {}),
    ...(t.message ? { message: t.message } : {}),
    ...(finishedAt ? { finishedAt } : {}),
  };
}

/** Waiting reasons that will not fix themselves without a change by the user. */
const STUCK_WAITING = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

/**
 * A problem that keeps a running Job's Pod from making progress, in words, or undefined:
 * an image that cannot be pulled, a missing Secret, a Pod that cannot be scheduled.
 */
export function podProblem(pod: V1Pod, container: string): string | undefined {
  const waiting = statusOf(pod, container)?.state?.waiting;
  if (waiting?.reason && STUCK_WAITING.has(waiting.reason)) {
    const image = pod.spec?.containers.find((c) => c.name === container)?.image;
    const what = waiting.reason.includes('Image') ? `image ${image ?? '(unknown)'} cannot be pulled` : 'the container cannot be created';
    return `${what} (${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''})`;
  }
  // A Pod past Pending runs somewhere, whatever a stale PodScheduled condition says.
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const pending = !pod.status?.phase || pod.status.phase === 'Pending';
  if (pending && scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return `the Pod cannot be scheduled: ${scheduled.message ?? 'no node fits'}`;
  }
  return undefined;
}

/**
 * The digest of the image the container actually ran (sha256:<hex>), from its imageID
 * (docker-pullable://repo@sha256:..., repo@sha256:..., or a bare sha256:...).
 */
export function imageDigest(pod: V1Pod, container: string): string | undefined {
  const id = statusOf(pod, container)?.imageID;
  const m = id ? /sha256:[a-f0-9]{64}/.exec(id) : null;
  return m?.[0];
}

/** Pods of a Job, the one that ended last first (its termination message is the run's result). */
export function latestFirst(pods: readonly V1Pod[], container: string): V1Pod[] {
  const time = (p: V1Pod) => {
    const t = containerTermination(p, container)?.finishedAt ?? (p.metadata?.creationTimestamp ? new Date(p.metadata.creationTimestamp).toISOString() : '');
    return t;
  };
  return [...pods].sort((a, b) => (time(a) < time(b) ? 1 : time(a) > time(b) ? -1 : 0));
}

/**
 * Why a failed Job failed, in one line a user can act on. The Pods' own story (out of memory,
 * the container's message) wins over the Job's condition, which only says that it gave up.
 */
export function explainFailure(job: V1Job, pods: readonly V1Pod[], container: string): string {
  const outcome = jobOutcome(job);
  const jobReason = outcome.state === 'Failed' ? outcome.reason : undefined;
  if (jobReason === 'DeadlineExceeded') {
    return `the run took longer than activeDeadlineSeconds (${job.spec?.activeDeadlineSeconds ?? '?'}s) and was stopped (DeadlineExceeded)`;
  }
  for (const pod of latestFirst(pods, container)) {
    const t = containerTermination(pod, container);
    if (t?.reason === 'OOMKilled') {
      const limit = pod.spec?.containers.find((c) => c.name === container)?.resources?.limits?.memory;
      return `the container ran out of memory (OOMKilled${limit ? `, memory limit ${limit}` : ''}); raise resources.limits.memory or use less data`;
    }
    if (t && t.exitCode !== 0) {
      const text = t.message?.trim();
      return `the container exited with code ${t.exitCode}${t.reason && t.reason !== 'Error' ? ` (${t.reason})` : ''}${text ? `: ${text.slice(0, 1024)}` : ''}`;
    }
    const problem = podProblem(pod, container);
    if (problem) return problem;
  }
  if (outcome.state === 'Failed') return `the Job failed (${outcome.reason}${outcome.message ? `: ${outcome.message}` : ''})`;
  return 'the Job failed';
}
