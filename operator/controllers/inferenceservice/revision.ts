// Revisions: how one is named, and what its Deployment and Pods say about it. A revision's name
// is `<isvc>-<hash>`, the hash (10 hex digits of sha256) covering the ModelVersion (name and
// uid) and the Pod template without the revision's own label: the same model served the same
// way is the same revision, whenever and however often it is computed; anything that changes a
// Pod (model, server image or settings, resources, scheduling) is a new one. Replicas and
// autoscaling are not in it: scaling does not start a new revision.
import { createHash } from 'node:crypto';
import type { V1Deployment, V1Pod, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { InferenceService, ModelVersion } from '../../api/v1alpha1/types.ts';
import { podProblem } from '../../runtime/jobs.ts';
import { canonicalJson } from '../../runtime/canonical.ts';

/** Longest Kubernetes name usable as a Service name and a label value. */
const MAX_NAME = 63;
const HASH_LENGTH = 10;

export function revisionHash(isvc: InferenceService, mv: ModelVersion, template: V1PodTemplateSpec): string {
  const input = canonicalJson({ isvc: isvc.metadata.name, modelVersion: { name: mv.metadata.name, uid: mv.metadata.uid }, template });
  return createHash('sha256').update(input).digest('hex').slice(0, HASH_LENGTH);
}

/**
 * `<isvc>-<hash>`, at most 63 characters: a longer InferenceService name is cut (the hash
 * covers the whole name, so two names sharing a prefix still differ).
 */
export function revisionName(isvc: InferenceService, mv: ModelVersion, template: V1PodTemplateSpec): string {
  const hash = revisionHash(isvc, mv, template);
  const room = MAX_NAME - HASH_LENGTH - 1;
  const base = isvc.metadata.name!.slice(0, room).replace(/[-.]+$/, '');
  return `${base}-${hash}`;
}

/** What the cluster says about one revision: its Deployment, read with its Pods. */
export interface RevisionState {
  name: string;
  modelVersion: string;
  /** Pods the Deployment asks for. */
  replicas: number;
  readyReplicas: number;
  /** Every Pod the Deployment asks for is of its template and available: it can take all traffic. */
  available: boolean;
  /** Why Pods do not become ready without a change, in words; undefined while they may. */
  problem?: string;
  /** A previous revision kept warm after a blue-green switch: when it goes (epoch ms). */
  scaleDownAt?: number;
}

function crashLoop(pod: V1Pod, container: string): string | undefined {
  const s = pod.status?.containerStatuses?.find((c) => c.name === container);
  if (s?.state?.waiting?.reason !== 'CrashLoopBackOff') return undefined;
  const last = s.lastState?.terminated;
  const text = last?.message?.trim();
  return `the server keeps exiting (CrashLoopBackOff${last ? `, exit code ${last.exitCode}` : ''})${text ? `: ${text.slice(0, 512)}` : ''}`;
}

/**
 * The state of a revision from its Deployment and its Pods. A problem comes from the Pods
 * first (image pull, missing Secret, unschedulable, crash loop: they name the cause), then from
 * the Deployment's ProgressDeadlineExceeded (Pods that run but never pass readiness, e.g. a
 * model whose digest does not match).
 */
export function revisionState(deployment: V1Deployment, pods: readonly V1Pod[], container: string, modelVersion: string): RevisionState {
  const spec = deployment.spec;
  const st = deployment.status ?? {};
  const replicas = spec?.replicas ?? 1;
  const current = (st.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
  const available = current && replicas > 0 && (st.updatedReplicas ?? 0) >= replicas && (st.availableReplicas ?? 0) >= replicas;
  const state: RevisionState = { name: deployment.metadata!.name!, modelVersion, replicas, readyReplicas: st.readyReplicas ?? 0, available };
  if (available) return state;
  const own = pods.filter((p) => !p.metadata?.deletionTimestamp);
  for (const pod of own) {
    const problem = podProblem(pod, container) ?? crashLoop(pod, container);
    if (problem) return { ...state, problem: `Pod ${pod.metadata?.name}: ${problem}` };
  }
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return { ...state, problem: `its Pods did not become ready within ${spec?.progressDeadlineSeconds ?? 600}s (ProgressDeadlineExceeded); see the server's log (kubectl logs deploy/${state.name})` };
  }
  return state;
}
