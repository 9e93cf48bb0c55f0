import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InferenceService, ModelVersion } from '../../api/v1alpha1/types.ts';
import { desiredRevision, desiredService, podTemplate, signatureUri } from './desired.ts';
import type { RevisionOptions } from './desired.ts';

const isvc: InferenceService = {
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'InferenceService',
  metadata: { name: 'weather', namespace: 'ml', uid: 'u1', generation: 2 },
  spec: { model: { name: 'weather', alias: 'production' } },
};

const mv: ModelVersion = {
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'ModelVersion',
  metadata: { name: 'weather-v3', namespace: 'ml', uid: 'mv-uid-3' },
  spec: { model: 'weather', version: 3, artifact: { uri: 's3://models/weather/3/model.onnx', digest: `sha256:${'c'.repeat(64)}` } },
  status: { phase: 'Ready', aliases: ['production'] },
};

const opts: RevisionOptions = { serverImage: 'localhost/modelops/server:0.1.0', artifactStoreSecret: 'artifacts', artifactStore: 's3://models/store' };

function envOf(rev: ReturnType<typeof desiredRevision>): Record<string, string> {
  return Object.fromEntries(rev.deployment.spec!.template.spec!.containers[0]!.env!.map((e) => [e.name, e.value ?? '']));
}

describe('desiredService (the front Service)', () => {
  it('selects the serving revision\'s Pods on its named http port', () => {
    const svc = desiredService(isvc, 'weather-0123456789');
    assert.equal(svc.metadata?.name, 'weather');
    assert.deepEqual(svc.spec?.selector, { 'modelops.dev/inferenceservice': 'weather', 'modelops.dev/revision': 'weather-0123456789' });
    assert.deepEqual(svc.spec?.ports, [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    assert.equal(svc.metadata?.labels?.['app.kubernetes.io/managed-by'], 'modelops');
  });
  it('selects every Pod of the InferenceService while no revision serves', () => {
    assert.deepEqual(desiredService(isvc).spec?.selector, { 'modelops.dev/inferenceservice': 'weather' });
  });
  it('is deterministic: no time or randomness in the desired object', () => {
    assert.deepEqual(desiredService(isvc, 'r'), desiredService(structuredClone(isvc), 'r'));
  });
});

describe('desiredRevision', () => {
  const rev = desiredRevision(isvc, { modelVersion: mv, referenceProfile: 's3://data/seattle/aa.profile.json' }, opts);
  const pod = rev.deployment.spec!.template.spec!;
  const container = pod.containers[0]!;

  it('gives the server the ModelVersion, its signature beside it and the reference profile, per the server contract', () => {
    const env = envOf(rev);
    assert.equal(env.MODEL_URI, 's3://models/weather/3/model.onnx');
    assert.equal(env.MODEL_SHA256, `sha256:${'c'.repeat(64)}`);
    assert.equal(env.MODEL_NAME, 'weather');
    assert.equal(env.MODEL_VERSION, '3');
    assert.equal(env.SIGNATURE_URI, 's3://models/weather/3/signature.json');
    assert.equal(env.REFERENCE_PROFILE, 's3://data/seattle/aa.profile.json');
    assert.equal(env.SHUTDOWN_DRAIN_DELAY_MS, '5000');
    assert.equal(env.MODEL_CACHE_DIR, '/var/cache/modelops');
    assert.equal(env.S3_FORCE_PATH_STYLE, 'true', 'the store addressed as the operator addresses it');
    assert.deepEqual(container.envFrom, [{ secretRef: { name: 'artifacts' } }], 'AWS_* straight from the store Secret: the AWS SDK reads them');
  });
  it('runs the configured server image with the probes and port of the contract', () => {
    assert.equal(container.image, 'localhost/modelops/server:0.1.0');
    assert.deepEqual(container.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    assert.equal(container.readinessProbe?.httpGet?.path, '/v2/health/ready');
    assert.equal(container.livenessProbe?.httpGet?.path, '/v2/health/live');
    assert.ok(pod.terminationGracePeriodSeconds! * 1000 > 5000 + 30000, 'grace exceeds drain delay plus shutdown timeout');
  });
  it('meets the restricted Pod Security profile, with a model cache that outlives a container restart', () => {
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(container.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    assert.deepEqual(pod.volumes?.find((v) => v.name === 'model-cache'), { name: 'model-cache', emptyDir: {} });
    assert.ok(container.volumeMounts?.some((m) => m.name === 'model-cache' && m.mountPath === '/var/cache/modelops'));
  });
  it('labels the Deployment, its Pods and its Service with the InferenceService and the revision, which the selector uses', () => {
    assert.equal(rev.deployment.metadata?.name, rev.name);
    assert.equal(rev.service.metadata?.name, rev.name);
    const selector = { 'modelops.dev/inferenceservice': 'weather', 'modelops.dev/revision': rev.name };
    assert.deepEqual(rev.deployment.spec?.selector?.matchLabels, selector);
    assert.deepEqual(rev.service.spec?.selector, selector);
    for (const [k, v] of Object.entries(selector)) assert.equal(rev.deployment.spec?.template.metadata?.labels?.[k], v);
    assert.equal(rev.deployment.metadata?.annotations?.['modelops.dev/model-version'], 'weather-v3');
  });
  it('runs spec.replicas Pods, one by default, and no HPA without autoscaling', () => {
    assert.equal(rev.deployment.spec?.replicas, 1);
    assert.equal(rev.hpa, undefined);
    assert.equal(desiredRevision({ ...isvc, spec: { ...isvc.spec, replicas: 3 } }, { modelVersion: mv }, opts).deployment.spec?.replicas, 3);
  });
  it('with autoscaling leaves replicas to an HPA on the revision\'s Deployment', () => {
    const r = desiredRevision({ ...isvc, spec: { ...isvc.spec, autoscaling: { minReplicas: 2, maxReplicas: 5 } } }, { modelVersion: mv }, opts);
    assert.equal(r.deployment.spec?.replicas, undefined);
    assert.equal(r.hpa?.metadata?.name, r.name);
    assert.deepEqual(r.hpa?.spec?.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: r.name });
    assert.equal(r.hpa?.spec?.minReplicas, 2);
    assert.equal(r.hpa?.spec?.maxReplicas, 5);
    assert.equal(r.hpa?.spec?.metrics?.[0]?.resource?.target.averageUtilization, 70);
    assert.equal(r.name, desiredRevision(isvc, { modelVersion: mv }, opts).name, 'scaling is not a new revision');
  });
  it('maps server settings to the server\'s variables, the user\'s env winning over ours', () => {
    const r = desiredRevision(
      {
        ...isvc,
        spec: {
          ...isvc.spec,
          server: { image: 'example.com/server:2', maxBatchSize: 8, maxBatchDelayMs: 4, maxQueueSize: 100, predictionLog: { sampleRate: 0.1 }, env: [{ name: 'SHUTDOWN_DRAIN_DELAY_MS', value: '9000' }, { name: 'LOG_LEVEL', value: 'debug' }] },
          resources: { limits: { 'nvidia.com/gpu': '1' } },
        },
      },
      { modelVersion: mv },
      opts,
    );
    const env = envOf(r);
    assert.equal(r.deployment.spec?.template.spec?.containers[0]?.image, 'example.com/server:2');
    assert.equal(env.MAX_BATCH_SIZE, '8');
    assert.equal(env.MAX_QUEUE_DELAY_MS, '4');
    assert.equal(env.MAX_QUEUE_SIZE, '100');
    assert.equal(env.PREDICTION_LOG_URI, 's3://models/store/predictions/ml/weather');
    assert.equal(env.PREDICTION_LOG_SAMPLE_RATE, '0.1');
    assert.equal(env.EXECUTION_PROVIDER, 'cuda');
    assert.equal(env.SHUTDOWN_DRAIN_DELAY_MS, '9000');
    assert.equal(env.LOG_LEVEL, 'debug');
    assert.equal(r.deployment.spec!.template.spec!.containers[0]!.env!.filter((e) => e.name === 'SHUTDOWN_DRAIN_DELAY_MS').length, 1);
    assert.equal(env.REFERENCE_PROFILE, undefined, 'no profile known: not set');
  });
  it('writes integer quantities as the strings the API server stores, so they never read as drift', () => {
    const r = desiredRevision({ ...isvc, spec: { ...isvc.spec, resources: { requests: { cpu: 1, memory: '1Gi' }, limits: { 'nvidia.com/gpu': 1 } } } }, { modelVersion: mv }, opts);
    assert.deepEqual(r.deployment.spec?.template.spec?.containers[0]?.resources, { limits: { 'nvidia.com/gpu': '1' }, requests: { cpu: '1', memory: '1Gi' } });
  });
  it('carries the scheduling knobs into the Pods', () => {
    const r = desiredRevision({ ...isvc, spec: { ...isvc.spec, nodeSelector: { gpu: 'true' }, tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }], priorityClassName: 'high' } }, { modelVersion: mv }, opts);
    const spec = r.deployment.spec!.template.spec!;
    assert.deepEqual(spec.nodeSelector, { gpu: 'true' });
    assert.deepEqual(spec.tolerations, [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.equal(spec.priorityClassName, 'high');
  });
  it('without a store Secret gives the server no envFrom', () => {
    assert.equal(podTemplate(isvc, { modelVersion: mv }, { serverImage: 'x' }).spec?.containers[0]?.envFrom, undefined);
  });
});

describe('signatureUri', () => {
  it('is signature.json in the model\'s folder or key prefix', () => {
    assert.equal(signatureUri('s3://b/models/w/3/model.onnx'), 's3://b/models/w/3/signature.json');
    assert.equal(signatureUri('file:///data/m/model.onnx'), 'file:///data/m/signature.json');
    assert.equal(signatureUri('https://h.example/m/model.onnx?x=1'), 'https://h.example/m/signature.json');
  });
});
