// The batch/v1 Job (and, for distributed runs, the headless Service) of one training run,
// as pure data following the trainer contract (docs/contracts.md).
import type { V1EnvVar, V1Job, V1ResourceRequirements, V1Service } from '@kubernetes/client-node';
import type { DatasetColumn, ResourceRequirements, TrainingJob } from '../../api/v1alpha1/types.ts';
import { parseDuration } from '../../runtime/duration.ts';

export const LABEL_TRAININGJOB = 'modelops.dev/trainingjob';
export const LABEL_RUN = 'modelops.dev/run';
export const CONTAINER = 'trainer';
export const MASTER_PORT = 29500;

/** Exit codes the contract reserves for runs that cannot succeed on retry (config, data). */
export const NON_RETRYABLE_EXIT_CODES = [2, 3];

/** The run for a generation of a one-shot TrainingJob; a new spec is a new run. */
export function runName(tj: TrainingJob, scheduledAt?: Date): string {
  const suffix = scheduledAt ? String(Math.floor(scheduledAt.getTime() / 60_000)) : `g${tj.metadata.generation ?? 1}`;
  return `${tj.metadata.name!.slice(0, 52)}-${suffix}`;
}

export interface RunInputs {
  name: string;
  image: string;
  datasetUri: string;
  datasetFormat?: string;
  datasetVersion: string;
  columns: readonly DatasetColumn[];
  outputUri: string;
  /** Secrets whose keys become environment variables (dataset and artifact store credentials). */
  secretEnv: readonly string[];
}

/** The API takes quantities as int-or-string; a Pod spec's type wants strings. */
function resourceRequirements(r: ResourceRequirements): V1ResourceRequirements {
  const strings = (m?: Record<string, number | string>) => (m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)])) : undefined);
  const limits = strings(r.limits);
  const requests = strings(r.requests);
  return { ...(limits ? { limits } : {}), ...(requests ? { requests } : {}) };
}

function labels(tj: TrainingJob, run: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'modelops-trainer',
    'app.kubernetes.io/managed-by': 'modelops',
    'app.kubernetes.io/part-of': 'modelops',
    [LABEL_TRAININGJOB]: tj.metadata.name!,
    [LABEL_RUN]: run,
  };
}

export function trainerEnv(tj: TrainingJob, run: RunInputs): V1EnvVar[] {
  const spec = tj.spec;
  const workers = spec.workers ?? 1;
  const env: V1EnvVar[] = [
    { name: 'MODELOPS_DATASET_URI', value: run.datasetUri },
    ...(run.datasetFormat ? [{ name: 'MODELOPS_DATASET_FORMAT', value: run.datasetFormat }] : []),
    { name: 'MODELOPS_DATASET_VERSION', value: run.datasetVersion },
    { name: 'MODELOPS_SCHEMA', value: JSON.stringify({ columns: run.columns }) },
    { name: 'MODELOPS_TASK', value: spec.task ?? 'Auto' },
    ...(spec.split ? [{ name: 'MODELOPS_SPLIT', value: JSON.stringify(spec.split) }] : []),
    { name: 'MODELOPS_HYPERPARAMETERS', value: JSON.stringify(spec.hyperparameters ?? {}) },
    { name: 'MODELOPS_SEED', value: String(spec.seed ?? 42) },
    { name: 'MODELOPS_OUTPUT_URI', value: run.outputUri },
    { name: 'MODELOPS_WORLD_SIZE', value: String(workers) },
  ];
  if (workers > 1) {
    env.push({ name: 'MODELOPS_MASTER_ADDR', value: `${run.name}-0.${run.name}` }, { name: 'MODELOPS_MASTER_PORT', value: String(MASTER_PORT) });
  }
  for (const e of spec.env ?? []) env.push({ name: e.name, value: e.value });
  return env;
}

export function desiredJob(tj: TrainingJob, run: RunInputs): V1Job {
  const spec = tj.spec;
  const workers = spec.workers ?? 1;
  const podLabels = labels(tj, run.name);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: run.name,
      namespace: tj.metadata.namespace!,
      labels: { ...podLabels, ...(spec.queueName ? { 'kueue.x-k8s.io/queue-name': spec.queueName } : {}) },
    },
    spec: {
      completions: workers,
      parallelism: workers,
      ...(workers > 1 ? { completionMode: 'Indexed' } : {}),
      backoffLimit: spec.backoffLimit ?? 1,
      ...(spec.activeDeadlineSeconds ? { activeDeadlineSeconds: spec.activeDeadlineSeconds } : {}),
      ...(spec.ttlAfterFinished ? { ttlSecondsAfterFinished: Math.ceil(parseDuration(spec.ttlAfterFinished) / 1000) } : {}),
      podFailurePolicy: {
        rules: [{ action: 'FailJob', onExitCodes: { containerName: CONTAINER, operator: 'In', values: NON_RETRYABLE_EXIT_CODES } }],
      },
      template: {
        metadata: { labels: podLabels },
        spec: {
          restartPolicy: 'Never',
          ...(workers > 1 ? { subdomain: run.name } : {}),
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
          ...(spec.tolerations ? { tolerations: spec.tolerations } : {}),
          ...(spec.priorityClassName ? { priorityClassName: spec.priorityClassName } : {}),
          containers: [
            {
              name: CONTAINER,
              image: run.image,
              ...(spec.command ? { command: spec.command } : {}),
              ...(spec.args ? { args: spec.args } : {}),
              env: trainerEnv(tj, run),
              ...(run.secretEnv.length ? { envFrom: run.secretEnv.map((name) => ({ secretRef: { name } })) } : {}),
              ...(spec.resources ? { resources: resourceRequirements(spec.resources) } : {}),
              terminationMessagePolicy: 'FallbackToLogsOnError',
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
}

/** The headless Service through which the ranks of a distributed run find rank 0. */
export function desiredRendezvousService(tj: TrainingJob, run: RunInputs): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: run.name, namespace: tj.metadata.namespace!, labels: labels(tj, run.name) },
    spec: {
      clusterIP: 'None',
      // Training Pods are never Ready; rank 0 must resolve before any of them is.
      publishNotReadyAddresses: true,
      selector: { [LABEL_RUN]: run.name },
      ports: [{ name: 'rendezvous', port: MASTER_PORT, targetPort: MASTER_PORT, protocol: 'TCP' }],
    },
  };
}
