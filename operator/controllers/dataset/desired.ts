// The ingest Job of one Dataset run, as pure data following the ingest contract
// (docs/contracts-data.md): same Dataset and run, same Job — no clock, no randomness.
import { createHash } from 'node:crypto';
import type { V1EnvFromSource, V1Job, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { Dataset, DatasetSpec } from '../../api/v1alpha1/types.ts';
import { ingestEnvironment } from '../../data/contract.ts';
import { canonicalJson } from '../../runtime/canonical.ts';

export const CONTAINER = 'ingest';
export const COMPONENT = 'modelops-ingest';
export const LABEL_DATASET = 'modelops.dev/dataset';
/** Selects every ingest Job and its Pods (the TrainingJob's Jobs carry another name). */
export const INGEST_SELECTOR = `app.kubernetes.io/managed-by=modelops,app.kubernetes.io/name=${COMPONENT}`;

/**
 * On a Dataset: a new value asks for a re-ingest now (any string, e.g. a timestamp).
 * On a Job: the Dataset's value when the Job was made, so the newest Job tells whether the
 * current value has been acted on.
 */
export const ANNOTATION_REFRESH = 'modelops.dev/refresh';
/** Why the Job runs: spec, schedule or refresh. */
export const ANNOTATION_TRIGGER = 'modelops.dev/trigger';
/** The hash of the ingest part of the spec the Job was made from (ingestSpecHash). */
export const ANNOTATION_SPEC_HASH = 'modelops.dev/spec-hash';
/** For a scheduled refresh: the scheduled time it stands for (RFC 3339). */
export const ANNOTATION_SCHEDULED_AT = 'modelops.dev/scheduled-at';

export const WORK_DIR = '/work';
export const PVC_ROOT = '/mnt/pvc';
/** Exit codes the contract gives runs that cannot succeed on retry: configuration (2), validation (3). */
export const NON_RETRYABLE_EXIT_CODES = [2, 3];
/** Retries of a run failing with a retryable code (1 internal, 4 source/store/resources). */
export const BACKOFF_LIMIT = 2;
/** The artifact store Secret's keys (AWS_*) reach the container under this prefix (the contract's MODELOPS_ARTIFACT_AWS_*). */
export const ARTIFACT_ENV_PREFIX = 'MODELOPS_ARTIFACT_';

export type Trigger = 'spec' | 'schedule' | 'refresh';

export interface RunRequest {
  trigger: Trigger;
  /** For schedule: the scheduled time. */
  scheduledAt?: Date;
}

export interface IngestJobOptions {
  image: string;
  artifactStore: string;
  artifactStoreSecret?: string | undefined;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * What an ingest reads from the spec (source, schema, validation, profile), hashed: a new
 * generation that changes only refresh or retention needs no new run.
 */
export function ingestSpecHash(spec: DatasetSpec): string {
  const { source, schema, validation, profile } = spec;
  return sha256(canonicalJson({ source, schema, validation, profile })).slice(0, 16);
}

/** A label value (≤ 63 characters) standing for a name that may be longer. */
export function labelValue(name: string): string {
  if (name.length <= 63) return name;
  return `${name.slice(0, 56).replace(/[-_.]+$/, '')}-${sha256(name).slice(0, 6)}`;
}

function suffixOf(ds: Dataset, run: RunRequest): string {
  switch (run.trigger) {
    case 'spec':
      return `g${ds.metadata.generation ?? 1}`;
    case 'schedule':
      if (!run.scheduledAt) throw new Error('a scheduled run needs its scheduled time');
      return String(Math.floor(run.scheduledAt.getTime() / 60_000));
    case 'refresh':
      return `r${sha256(ds.metadata.annotations?.[ANNOTATION_REFRESH] ?? '').slice(0, 10)}`;
  }
}

/**
 * The Job's name, ≤ 63 characters (the job-name label its Pods carry is a label value):
 * `<dataset>-ingest-g<generation>` for the spec, `<dataset>-ingest-<unix minutes>` for a
 * scheduled refresh, `<dataset>-ingest-r<hash of the token>` for a manual one. A name too long
 * or holding dots is shortened and given a hash of the whole name, so two Datasets never share.
 */
export function ingestJobName(ds: Dataset, run: RunRequest): string {
  const name = ds.metadata.name!;
  const tail = `-ingest-${suffixOf(ds, run)}`;
  const room = 63 - tail.length;
  const base = name.length <= room && !name.includes('.') ? name : `${name.replace(/\./g, '-').slice(0, room - 7).replace(/-+$/, '')}-${sha256(name).slice(0, 6)}`;
  return `${base}${tail}`;
}

export function ingestLabels(ds: Dataset): Record<string, string> {
  return {
    'app.kubernetes.io/name': COMPONENT,
    'app.kubernetes.io/instance': labelValue(ds.metadata.name!),
    'app.kubernetes.io/managed-by': 'modelops',
    'app.kubernetes.io/part-of': 'modelops',
    [LABEL_DATASET]: labelValue(ds.metadata.name!),
  };
}

/** The claim of a pvc://claim/path source, mounted read-only at /mnt/pvc/<claim>. */
export function pvcClaim(uri: string): string | undefined {
  return /^pvc:\/\/([^/]+)\//.exec(uri)?.[1];
}

export function desiredIngestJob(ds: Dataset, run: RunRequest, opts: IngestJobOptions): V1Job {
  const labels = ingestLabels(ds);
  const spec = ds.spec;
  const token = ds.metadata.annotations?.[ANNOTATION_REFRESH];
  const previousDigest = ds.status?.currentVersion?.digest;
  const env = [
    ...ingestEnvironment({ namespace: ds.metadata.namespace!, name: ds.metadata.name!, spec, artifactStore: opts.artifactStore, ...(previousDigest ? { previousDigest } : {}) }),
    { name: 'MODELOPS_WORK_DIR', value: WORK_DIR },
  ];
  const envFrom: V1EnvFromSource[] = [];
  if (spec.source.credentialsSecret) envFrom.push({ secretRef: { name: spec.source.credentialsSecret.name } });
  if (opts.artifactStoreSecret) envFrom.push({ prefix: ARTIFACT_ENV_PREFIX, secretRef: { name: opts.artifactStoreSecret } });
  const volumes: V1Volume[] = [
    { name: 'tmp', emptyDir: {} },
    { name: 'work', emptyDir: {} },
  ];
  const mounts: V1VolumeMount[] = [
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'work', mountPath: WORK_DIR },
  ];
  const claim = pvcClaim(spec.source.uri);
  if (claim) {
    volumes.push({ name: 'source', persistentVolumeClaim: { claimName: claim, readOnly: true } });
    mounts.push({ name: 'source', mountPath: `${PVC_ROOT}/${claim}`, readOnly: true });
  }
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: ingestJobName(ds, run),
      namespace: ds.metadata.namespace!,
      labels,
      annotations: {
        [ANNOTATION_TRIGGER]: run.trigger,
        [ANNOTATION_SPEC_HASH]: ingestSpecHash(spec),
        ...(token ? { [ANNOTATION_REFRESH]: token } : {}),
        ...(run.scheduledAt ? { [ANNOTATION_SCHEDULED_AT]: run.scheduledAt.toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
      },
    },
    spec: {
      backoffLimit: BACKOFF_LIMIT,
      podFailurePolicy: {
        rules: [
          // An evicted or preempted Pod is not the ingest's fault: run it again, uncounted.
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          { action: 'FailJob', onExitCodes: { containerName: CONTAINER, operator: 'In', values: NON_RETRYABLE_EXIT_CODES } },
        ],
      },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          // The ingest never talks to the API server.
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: CONTAINER,
              image: opts.image,
              command: ['node', 'operator/data/main.ts', 'ingest'],
              env,
              ...(envFrom.length ? { envFrom } : {}),
              resources: { requests: { cpu: '100m', memory: '256Mi' } },
              terminationMessagePolicy: 'FallbackToLogsOnError',
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: mounts,
            },
          ],
          volumes,
        },
      },
    },
  };
}
