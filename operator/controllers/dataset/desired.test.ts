import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dataset } from '../../api/v1alpha1/types.ts';
import { ANNOTATION_REFRESH, ANNOTATION_SCHEDULED_AT, ANNOTATION_SPEC_HASH, ANNOTATION_TRIGGER, desiredIngestJob, ingestJobName, ingestSpecHash, labelValue } from './desired.ts';

const ds = (extra: Partial<Dataset['spec']> = {}, meta: Partial<Dataset['metadata']> = {}): Dataset => ({
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'Dataset',
  metadata: { name: 'weather', namespace: 'ml', uid: 'u1', generation: 3, ...meta },
  spec: {
    source: { uri: 'https://example.com/weather.csv', credentialsSecret: { name: 'src-creds' } },
    schema: { columns: [{ name: 'temp', type: 'number', min: -30 }] },
    ...extra,
  },
});
const opts = { image: 'localhost/modelops/operator:0.1.0', artifactStore: 's3://bucket/prefix', artifactStoreSecret: 'store-creds' };

describe('ingestJobName', () => {
  it('names a spec run by generation, a scheduled one by unix minutes, a manual one by a hash of the token', () => {
    assert.equal(ingestJobName(ds(), { trigger: 'spec' }), 'weather-ingest-g3');
    assert.equal(ingestJobName(ds(), { trigger: 'schedule', scheduledAt: new Date('2026-12-01T03:00:00Z') }), `weather-ingest-${Date.parse('2026-12-01T03:00:00Z') / 60_000}`);
    const manual = ingestJobName(ds({}, { annotations: { [ANNOTATION_REFRESH]: 'now-1' } }), { trigger: 'refresh' });
    assert.match(manual, /^weather-ingest-r[0-9a-f]{10}$/);
    assert.notEqual(manual, ingestJobName(ds({}, { annotations: { [ANNOTATION_REFRESH]: 'now-2' } }), { trigger: 'refresh' }));
  });
  it('stays within 63 characters and tells long or dotted names apart by a hash', () => {
    const long = 'a'.repeat(100);
    const a = ingestJobName(ds({}, { name: long }), { trigger: 'schedule', scheduledAt: new Date('2026-12-01T03:00:00Z') });
    const b = ingestJobName(ds({}, { name: `${long}b` }), { trigger: 'schedule', scheduledAt: new Date('2026-12-01T03:00:00Z') });
    assert.ok(a.length <= 63 && b.length <= 63, `${a} ${b}`);
    assert.notEqual(a, b);
    const dotted = ingestJobName(ds({}, { name: 'weather.v2' }), { trigger: 'spec' });
    assert.match(dotted, /^weather-v2-[0-9a-f]{6}-ingest-g3$/);
    assert.ok(labelValue(long).length <= 63);
  });
});

describe('ingestSpecHash', () => {
  it('changes with what the ingest reads, not with refresh, retention or key order', () => {
    const base = ingestSpecHash(ds().spec);
    assert.equal(ingestSpecHash(ds({ refresh: { schedule: '@daily' }, retention: { maxVersions: 3 } }).spec), base);
    assert.notEqual(ingestSpecHash(ds({ validation: { minRows: 10 } }).spec), base);
    const reordered = ds();
    reordered.spec = { schema: reordered.spec.schema, source: { credentialsSecret: { name: 'src-creds' }, uri: 'https://example.com/weather.csv' } };
    assert.equal(ingestSpecHash(reordered.spec), base);
  });
});

describe('desiredIngestJob', () => {
  const job = desiredIngestJob(ds(), { trigger: 'spec' }, opts);
  const pod = job.spec!.template.spec!;
  const c = pod.containers[0]!;
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));

  it('runs the ingest command of the operator image with the contract environment', () => {
    assert.equal(c.image, opts.image);
    assert.deepEqual(c.command, ['node', 'operator/data/main.ts', 'ingest']);
    assert.equal(env.MODELOPS_DATASET_NAMESPACE, 'ml');
    assert.equal(env.MODELOPS_DATASET_NAME, 'weather');
    assert.equal(env.MODELOPS_ARTIFACT_STORE, 's3://bucket/prefix');
    assert.equal(env.MODELOPS_WORK_DIR, '/work');
    assert.deepEqual(JSON.parse(env.MODELOPS_DATASET_SPEC!).schema, ds().spec.schema);
    assert.equal(env.MODELOPS_PREVIOUS_DIGEST, undefined, 'no current version yet');
    const withCurrent = ds();
    withCurrent.status = { currentVersion: { version: 'abc', digest: `sha256:${'a'.repeat(64)}`, uri: 's3://x', rows: 1, createdAt: '2026-01-01T00:00:00Z' } };
    const env2 = desiredIngestJob(withCurrent, { trigger: 'spec' }, opts).spec!.template.spec!.containers[0]!.env!;
    assert.equal(env2.find((e) => e.name === 'MODELOPS_PREVIOUS_DIGEST')?.value, `sha256:${'a'.repeat(64)}`);
  });
  it('gives the source credentials as they are and the store credentials under MODELOPS_ARTIFACT_', () => {
    assert.deepEqual(c.envFrom, [{ secretRef: { name: 'src-creds' } }, { prefix: 'MODELOPS_ARTIFACT_', secretRef: { name: 'store-creds' } }]);
  });
  it('meets the restricted Pod Security profile with a read-only root and scratch emptyDirs', () => {
    assert.equal(pod.restartPolicy, 'Never');
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.deepEqual(pod.securityContext?.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL']);
    assert.deepEqual(c.volumeMounts?.map((m) => m.mountPath), ['/tmp', '/work']);
    assert.equal(c.terminationMessagePolicy, 'FallbackToLogsOnError');
    assert.equal(pod.automountServiceAccountToken, false);
  });
  it('fails at once on the contract\'s non-retryable exit codes and retries the rest a little', () => {
    const rules = job.spec!.podFailurePolicy!.rules;
    assert.deepEqual(rules.find((r) => r.action === 'FailJob')?.onExitCodes, { containerName: 'ingest', operator: 'In', values: [2, 3] });
    assert.equal(job.spec!.backoffLimit, 2);
  });
  it('is labelled for the operator\'s selector and annotated with what it was made from', () => {
    assert.equal(job.metadata!.name, 'weather-ingest-g3');
    assert.equal(job.metadata!.labels!['app.kubernetes.io/managed-by'], 'modelops');
    assert.equal(job.metadata!.labels!['app.kubernetes.io/name'], 'modelops-ingest');
    assert.equal(job.metadata!.labels!['modelops.dev/dataset'], 'weather');
    assert.deepEqual(job.spec!.template.metadata!.labels, job.metadata!.labels);
    assert.equal(job.metadata!.annotations![ANNOTATION_TRIGGER], 'spec');
    assert.equal(job.metadata!.annotations![ANNOTATION_SPEC_HASH], ingestSpecHash(ds().spec));
    const scheduled = desiredIngestJob(ds(), { trigger: 'schedule', scheduledAt: new Date('2026-12-01T03:00:00.000Z') }, opts);
    assert.equal(scheduled.metadata!.annotations![ANNOTATION_SCHEDULED_AT], '2026-12-01T03:00:00Z');
  });
  it('mounts a pvc:// source\'s claim read-only where the ingest looks for it', () => {
    const j = desiredIngestJob(ds({ source: { uri: 'pvc://shared-data/weather/2026.csv' } }), { trigger: 'spec' }, { ...opts, artifactStoreSecret: undefined });
    const p = j.spec!.template.spec!;
    assert.deepEqual(p.volumes!.find((v) => v.name === 'source')?.persistentVolumeClaim, { claimName: 'shared-data', readOnly: true });
    assert.deepEqual(p.containers[0]!.volumeMounts!.find((m) => m.name === 'source'), { name: 'source', mountPath: '/mnt/pvc/shared-data', readOnly: true });
    assert.equal(p.containers[0]!.envFrom, undefined);
  });
  it('is deterministic', () => {
    assert.deepEqual(desiredIngestJob(ds(), { trigger: 'spec' }, opts), desiredIngestJob(structuredClone(ds()), { trigger: 'spec' }, opts));
  });
});
