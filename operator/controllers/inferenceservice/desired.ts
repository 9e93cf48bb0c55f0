// Desired children of an InferenceService, as pure data: same input, same output. A revision
// is one ModelVersion served with one Pod template: its Deployment, its Service and, with
// spec.autoscaling, its HorizontalPodAutoscaler, all named after the revision. The front
// Service `<isvc>` selects the serving revision's Pods.
import type { V1Deployment, V1EnvVar, V1PodTemplateSpec, V1ResourceRequirements, V1Service, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { InferenceService, ModelVersion } from '../../api/v1alpha1/types.ts';
import { predictionLogUri, signatureUriOf } from '../../artifacts/layout.ts';
import { revisionName } from './revision.ts';

export const LABEL_ISVC = 'modelops.dev/inferenceservice';
export const LABEL_REVISION = 'modelops.dev/revision';
/** On a revision's Deployment: the ModelVersion it serves (an annotation: names may pass 63 characters). */
export const ANNOTATION_MODEL_VERSION = 'modelops.dev/model-version';
export const COMPONENT = 'modelops-server';
/** Selects every child of every InferenceService, and the revisions' Pods. */
export const SERVER_SELECTOR = `app.kubernetes.io/managed-by=modelops,app.kubernetes.io/name=${COMPONENT}`;
export const CONTAINER = 'server';
export const SERVER_PORT = 8080;
/** The server keeps serving this long after SIGTERM while endpoints drop the Pod. */
export const SHUTDOWN_DRAIN_DELAY_MS = 5_000;
/** The server's own default wait for in-flight requests after the drain. */
const SHUTDOWN_TIMEOUT_MS = 30_000;
/** Where downloaded models live: an emptyDir, so a restarted container does not download again. */
export const MODEL_CACHE_DIR = '/var/cache/modelops';
/** How long a revision may take to become available before its Deployment reports ProgressDeadlineExceeded. */
export const PROGRESS_DEADLINE_SECONDS = 600;
const DEFAULT_RESOURCES: V1ResourceRequirements = { requests: { cpu: '100m', memory: '256Mi' } };
const DEFAULT_CPU_TARGET = 70;

export interface RevisionOptions {
  /** The operator's --server-image, used when spec.server.image is not set. */
  serverImage: string;
  /** The operator's --artifact-store-secret: the server's AWS_* credentials (envFrom, no prefix: the AWS SDK reads them). */
  artifactStoreSecret?: string | undefined;
  /** The operator's --artifact-store, the default home of the prediction log. */
  artifactStore?: string | undefined;
}

/** What a revision is made of: the ModelVersion and what the server reads besides. */
export interface RevisionInput {
  modelVersion: ModelVersion;
  /** URI of the training Dataset version's full profile (REFERENCE_PROFILE), when known. */
  referenceProfile?: string | undefined;
}

/** One revision, desired: its name and its children. */
export interface DesiredRevision {
  name: string;
  modelVersion: string;
  deployment: V1Deployment;
  service: V1Service;
  /** Absent without spec.autoscaling. */
  hpa?: V2HorizontalPodAutoscaler;
}

/** Labels every child of the InferenceService carries. */
export function childLabels(isvc: InferenceService): Record<string, string> {
  return {
    'app.kubernetes.io/name': COMPONENT,
    'app.kubernetes.io/instance': isvc.metadata.name!,
    'app.kubernetes.io/managed-by': 'modelops',
    'app.kubernetes.io/part-of': 'modelops',
    [LABEL_ISVC]: isvc.metadata.name!,
  };
}

function revisionLabels(isvc: InferenceService, revision: string): Record<string, string> {
  return { ...childLabels(isvc), [LABEL_REVISION]: revision };
}

const HTTP_PORTS = [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }];

/**
 * The Service in front of the InferenceService: the serving revision's Pods, or, while no
 * revision serves yet, every Pod of the InferenceService (only the first revision's exist then,
 * and only ready Pods get endpoints).
 */
export function desiredService(isvc: InferenceService, servingRevision?: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: isvc.metadata.name!,
      namespace: isvc.metadata.namespace!,
      labels: childLabels(isvc),
    },
    spec: {
      type: 'ClusterIP',
      selector: { [LABEL_ISVC]: isvc.metadata.name!, ...(servingRevision ? { [LABEL_REVISION]: servingRevision } : {}) },
      ports: HTTP_PORTS,
    },
  };
}

export function serviceUrl(isvc: InferenceService): string {
  return `http://${isvc.metadata.name}.${isvc.metadata.namespace}.svc.cluster.local`;
}

/** signature.json beside the model file: same folder or key prefix (the server's own default, made explicit). */
export function signatureUri(modelUri: string): string {
  return signatureUriOf(modelUri);
}

/**
 * Resources as the API server stores them: an integer quantity (`cpu: 1`, allowed by the
 * schema) comes back as the string "1", and a number here would read as drift on every
 * reconcile. (Other non-canonical forms, "0.5" for "500m", still do: write canonical ones.)
 */
function resourcesOf(spec: InferenceService['spec']['resources']): V1ResourceRequirements {
  if (!spec) return DEFAULT_RESOURCES;
  const strings = (m: Record<string, number | string> | undefined) => (m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)])) : undefined);
  const limits = strings(spec.limits);
  const requests = strings(spec.requests);
  return { ...(limits ? { limits } : {}), ...(requests ? { requests } : {}) };
}

function serverEnv(isvc: InferenceService, input: RevisionInput, opts: RevisionOptions): V1EnvVar[] {
  const mv = input.modelVersion;
  const server = isvc.spec.server ?? {};
  const env: V1EnvVar[] = [
    { name: 'MODEL_URI', value: mv.spec.artifact.uri },
    { name: 'MODEL_SHA256', value: mv.spec.artifact.digest },
    { name: 'MODEL_NAME', value: mv.spec.model },
    { name: 'MODEL_VERSION', value: String(mv.spec.version) },
    { name: 'SIGNATURE_URI', value: signatureUri(mv.spec.artifact.uri) },
  ];
  if (input.referenceProfile) env.push({ name: 'REFERENCE_PROFILE', value: input.referenceProfile });
  if (server.maxBatchSize !== undefined) env.push({ name: 'MAX_BATCH_SIZE', value: String(server.maxBatchSize) });
  if (server.maxBatchDelayMs !== undefined) env.push({ name: 'MAX_QUEUE_DELAY_MS', value: String(server.maxBatchDelayMs) });
  if (server.maxQueueSize !== undefined) env.push({ name: 'MAX_QUEUE_SIZE', value: String(server.maxQueueSize) });
  if (server.predictionLog) {
    const uri = predictionLogUri(server.predictionLog, opts.artifactStore, isvc.metadata.namespace!, isvc.metadata.name!);
    if (uri) {
      env.push({ name: 'PREDICTION_LOG_URI', value: uri }, { name: 'PREDICTION_LOG_SAMPLE_RATE', value: String(server.predictionLog.sampleRate) });
    }
  }
  const gpu = Object.keys({ ...isvc.spec.resources?.limits, ...isvc.spec.resources?.requests }).includes('nvidia.com/gpu');
  if (gpu) env.push({ name: 'EXECUTION_PROVIDER', value: 'cuda' });
  env.push({ name: 'MODEL_CACHE_DIR', value: MODEL_CACHE_DIR }, { name: 'SHUTDOWN_DRAIN_DELAY_MS', value: String(SHUTDOWN_DRAIN_DELAY_MS) });
  // Path-style S3 URLs, as the operator itself reads the store (operator/artifacts/s3.ts):
  // S3-compatible stores (versitygw, MinIO) behind a Service name have no per-bucket host names.
  env.push({ name: 'S3_FORCE_PATH_STYLE', value: 'true' });
  // The user's variables come last and win over ours of the same name.
  const own = new Set((server.env ?? []).map((e) => e.name));
  return [...env.filter((e) => !own.has(e.name)), ...((server.env ?? []) as V1EnvVar[])];
}

/**
 * The Pod template of a revision, without the revision's own label: what the revision name's
 * hash covers. Everything that shapes a Pod is here; replicas and autoscaling are not.
 */
export function podTemplate(isvc: InferenceService, input: RevisionInput, opts: RevisionOptions): V1PodTemplateSpec {
  const spec = isvc.spec;
  return {
    metadata: { labels: childLabels(isvc), annotations: { [ANNOTATION_MODEL_VERSION]: input.modelVersion.metadata.name! } },
    spec: {
      // The server never talks to the API server.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: Math.ceil((SHUTDOWN_DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS) / 1000) + 5,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
      ...(spec.tolerations ? { tolerations: spec.tolerations as NonNullable<V1PodTemplateSpec['spec']>['tolerations'] } : {}),
      ...(spec.priorityClassName ? { priorityClassName: spec.priorityClassName } : {}),
      containers: [
        {
          name: CONTAINER,
          image: spec.server?.image ?? opts.serverImage,
          ports: [{ name: 'http', containerPort: SERVER_PORT, protocol: 'TCP' }],
          env: serverEnv(isvc, input, opts),
          ...(opts.artifactStoreSecret ? { envFrom: [{ secretRef: { name: opts.artifactStoreSecret } }] } : {}),
          resources: resourcesOf(spec.resources),
          // Liveness never depends on the model; readiness means loaded and warmed.
          livenessProbe: { httpGet: { path: '/v2/health/live', port: 'http' }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
          readinessProbe: { httpGet: { path: '/v2/health/ready', port: 'http' }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
          volumeMounts: [
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'model-cache', mountPath: MODEL_CACHE_DIR },
          ],
        },
      ],
      volumes: [
        { name: 'tmp', emptyDir: {} },
        { name: 'model-cache', emptyDir: {} },
      ],
    },
  };
}

/** The revision the spec asks for, with its children. */
export function desiredRevision(isvc: InferenceService, input: RevisionInput, opts: RevisionOptions): DesiredRevision {
  const template = podTemplate(isvc, input, opts);
  const name = revisionName(isvc, input.modelVersion, template);
  const labels = revisionLabels(isvc, name);
  const meta = (kind: string) => ({
    name,
    namespace: isvc.metadata.namespace!,
    labels,
    ...(kind === 'Deployment' ? { annotations: { [ANNOTATION_MODEL_VERSION]: input.modelVersion.metadata.name! } } : {}),
  });
  const selector = { [LABEL_ISVC]: isvc.metadata.name!, [LABEL_REVISION]: name };
  const autoscaling = isvc.spec.autoscaling;
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('Deployment'),
    spec: {
      // With autoscaling the HPA owns replicas; setting them here would fight it.
      ...(autoscaling ? {} : { replicas: isvc.spec.replicas ?? 1 }),
      selector: { matchLabels: selector },
      progressDeadlineSeconds: PROGRESS_DEADLINE_SECONDS,
      revisionHistoryLimit: 1,
      template: { ...template, metadata: { ...template.metadata, labels: { ...template.metadata!.labels, [LABEL_REVISION]: name } } },
    },
  };
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta('Service'),
    spec: { type: 'ClusterIP', selector, ports: HTTP_PORTS },
  };
  const revision: DesiredRevision = { name, modelVersion: input.modelVersion.metadata.name!, deployment, service };
  if (autoscaling) {
    revision.hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta('HorizontalPodAutoscaler'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: autoscaling.minReplicas ?? 1,
        maxReplicas: autoscaling.maxReplicas,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: autoscaling.targetCPUUtilization ?? DEFAULT_CPU_TARGET } } }],
      },
    };
  }
  return revision;
}
