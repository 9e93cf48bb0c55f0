import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { InferenceService, ModelVersion } from '../../api/v1alpha1/types.ts';
import { desiredRevision } from './desired.ts';
import { canonicalJson } from '../../runtime/canonical.ts';
import { revisionState } from './revision.ts';

const isvc: InferenceService = {
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'InferenceService',
  metadata: { name: 'weather', namespace: 'ml', uid: 'u1', generation: 1 },
  spec: { model: { modelVersion: 'weather-v1' } },
};
function mv(n: number, uid = `uid-${n}`): ModelVersion {
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'ModelVersion',
    metadata: { name: `weather-v${n}`, namespace: 'ml', uid },
    spec: { model: 'weather', version: n, artifact: { uri: `s3://m/${n}/model.onnx`, digest: `sha256:${String(n).repeat(64)}` } },
    status: { phase: 'Ready' },
  };
}
const opts = { serverImage: 'server:1' };
const nameOf = (i: InferenceService, m: ModelVersion, o = opts) => desiredRevision(i, { modelVersion: m }, o).name;

describe('revision names', () => {
  it('are <isvc>-<10 hex digits>', () => {
    assert.match(nameOf(isvc, mv(1)), /^weather-[0-9a-f]{10}$/);
  });
  it('are the same for the same model served the same way, whatever the key order of the spec', () => {
    const reordered: InferenceService = { ...isvc, spec: { server: { maxQueueSize: 5, maxBatchSize: 2 }, model: isvc.spec.model } };
    const ordered: InferenceService = { ...isvc, spec: { model: isvc.spec.model, server: { maxBatchSize: 2, maxQueueSize: 5 } } };
    assert.equal(nameOf(reordered, mv(1)), nameOf(ordered, mv(1)));
  });
  const base = nameOf(isvc, mv(1));
  const cases: [string, string][] = [
    ['another ModelVersion', nameOf(isvc, mv(2))],
    ['the same ModelVersion name re-created (another uid)', nameOf(isvc, mv(1, 'other-uid'))],
    ['another server image', nameOf({ ...isvc, spec: { ...isvc.spec, server: { image: 'server:2' } } }, mv(1))],
    ['the operator\'s default server image changed', nameOf(isvc, mv(1), { serverImage: 'server:2' })],
    ['other batching settings', nameOf({ ...isvc, spec: { ...isvc.spec, server: { maxBatchSize: 4 } } }, mv(1))],
    ['other resources', nameOf({ ...isvc, spec: { ...isvc.spec, resources: { requests: { cpu: '2' } } } }, mv(1))],
    ['other scheduling', nameOf({ ...isvc, spec: { ...isvc.spec, nodeSelector: { a: 'b' } } }, mv(1))],
  ];
  for (const [what, name] of cases) it(`change with ${what}`, () => assert.notEqual(name, base));
  it('do not change with replicas or autoscaling', () => {
    assert.equal(nameOf({ ...isvc, spec: { ...isvc.spec, replicas: 4 } }, mv(1)), base);
    assert.equal(nameOf({ ...isvc, spec: { ...isvc.spec, autoscaling: { maxReplicas: 4 } } }, mv(1)), base);
  });
  it('stay within 63 characters for a long InferenceService name, and still differ between two names sharing a prefix', () => {
    const long = (suffix: string): InferenceService => ({ ...isvc, metadata: { ...isvc.metadata, name: `${'a'.repeat(60)}${suffix}` } });
    const a = nameOf(long('x'), mv(1));
    const b = nameOf(long('y'), mv(1));
    assert.ok(a.length <= 63 && b.length <= 63);
    assert.notEqual(a, b);
    assert.match(a, /^a+-[0-9a-f]{10}$/);
  });
});

describe('canonicalJson', () => {
  it('sorts keys and drops undefined', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: undefined, c: 2 }] }), '{"a":[{"c":2}],"b":1}');
  });
});

describe('revisionState', () => {
  function deployment(status: V1Deployment['status'], replicas = 2, generation = 3): V1Deployment {
    return { metadata: { name: 'weather-abc', generation }, spec: { replicas, selector: {}, template: {}, progressDeadlineSeconds: 600 }, status };
  }
  function pod(status: V1Pod['status']): V1Pod {
    return { metadata: { name: 'weather-abc-1' }, spec: { containers: [{ name: 'server', image: 'server:9' }] }, status };
  }
  it('is available when every Pod asked for is updated and available for the current generation', () => {
    const s = revisionState(deployment({ observedGeneration: 3, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }), [], 'server', 'weather-v1');
    assert.deepEqual(s, { name: 'weather-abc', modelVersion: 'weather-v1', replicas: 2, readyReplicas: 2, available: true });
  });
  it('is not available with fewer available Pods, or while the Deployment controller has not seen the generation', () => {
    assert.equal(revisionState(deployment({ observedGeneration: 3, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1 }), [], 'server', 'm').available, false);
    assert.equal(revisionState(deployment({ observedGeneration: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }), [], 'server', 'm').available, false);
  });
  it('names the Pod problem: an image that cannot be pulled', () => {
    const s = revisionState(deployment({ observedGeneration: 3 }), [pod({ phase: 'Pending', containerStatuses: [{ name: 'server', image: 'server:9', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } } }] })], 'server', 'm');
    assert.match(s.problem ?? '', /Pod weather-abc-1: image server:9 cannot be pulled \(ImagePullBackOff: not found\)/);
  });
  it('names the Pod problem: a server that keeps exiting', () => {
    const s = revisionState(
      deployment({ observedGeneration: 3 }),
      [pod({ phase: 'Running', containerStatuses: [{ name: 'server', image: 'server:9', imageID: '', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 2, message: 'invalid configuration: MODEL_URI is required' } } }] })],
      'server',
      'm',
    );
    assert.match(s.problem ?? '', /keeps exiting \(CrashLoopBackOff, exit code 2\): invalid configuration/);
  });
  it('falls back on the Deployment\'s progress deadline for Pods that run but never get ready', () => {
    const s = revisionState(deployment({ observedGeneration: 3, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }), [pod({ phase: 'Running' })], 'server', 'm');
    assert.match(s.problem ?? '', /did not become ready within 600s \(ProgressDeadlineExceeded\)/);
  });
  it('has no problem while Pods may still become ready', () => {
    assert.equal(revisionState(deployment({ observedGeneration: 3 }), [pod({ phase: 'Running' })], 'server', 'm').problem, undefined);
  });
});
