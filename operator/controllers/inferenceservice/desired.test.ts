import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InferenceService } from '../../api/v1alpha1/types.ts';
import { desiredService } from './desired.ts';
import { computeStatus } from './status.ts';

const isvc: InferenceService = {
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'InferenceService',
  metadata: { name: 'weather', namespace: 'ml', uid: 'u1', generation: 2 },
  spec: { model: { name: 'weather', alias: 'production' } },
};

describe('desiredService', () => {
  it('selects every revision of the InferenceService on its named http port', () => {
    const svc = desiredService(isvc);
    assert.equal(svc.metadata?.name, 'weather');
    assert.deepEqual(svc.spec?.selector, { 'modelops.dev/inferenceservice': 'weather' });
    assert.deepEqual(svc.spec?.ports, [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    assert.equal(svc.metadata?.labels?.['app.kubernetes.io/managed-by'], 'modelops');
  });
  it('is deterministic: no time or randomness in the desired object', () => {
    assert.deepEqual(desiredService(isvc), desiredService(structuredClone(isvc)));
  });
});

describe('computeStatus', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it('reports the URL and that no revision serves yet', () => {
    const s = computeStatus(isvc, {}, now);
    assert.equal(s.url, 'http://weather.ml.svc.cluster.local');
    assert.equal(s.observedGeneration, 2);
    assert.equal(s.phase, 'Pending');
    const ready = s.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'False');
    assert.equal(ready?.reason, 'NoRevision');
  });
  it('says what to do when the Service name is taken', () => {
    const s = computeStatus(isvc, { serviceConflict: 'Service weather already exists ...; delete or rename it' }, now);
    assert.equal(s.url, undefined);
    const svc = s.conditions?.find((c) => c.type === 'ServiceReady');
    assert.equal(svc?.reason, 'ResourceExists');
    assert.match(svc?.message ?? '', /delete or rename it/);
  });
});
