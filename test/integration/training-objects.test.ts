// The objects the TrainingJob controller builds are valid to the real API server, and its
// Pods meet the restricted Pod Security profile (checked by a server-side dry run).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dump } from 'js-yaml';
import type { TrainingJob } from '../../operator/api/v1alpha1/types.ts';
import { desiredJob, desiredRendezvousService, runName } from '../../operator/controllers/trainingjob/desired.ts';
import { kubectl, testNamespace } from '../support/cluster.ts';

function trainingJob(ns: string, workers: number): TrainingJob {
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'TrainingJob',
    metadata: { name: 'weather', namespace: ns, uid: 'u', generation: 1 },
    spec: {
      datasetRef: { name: 'seattle' },
      model: 'seattle-weather',
      workers,
      resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      activeDeadlineSeconds: 600,
      ttlAfterFinished: '24h',
    },
  };
}

describe('the training run objects', () => {
  for (const workers of [1, 3]) {
    it(`for ${workers} worker${workers > 1 ? 's' : ''} are accepted by the API server under the restricted profile`, async (t) => {
      const ns = await testNamespace(t, 'train-objects');
      const tj = trainingJob(ns, workers);
      const run = {
        name: runName(tj),
        image: 'localhost/modelops/trainer:0.1.0',
        datasetUri: 's3://data/x/data.parquet',
        datasetVersion: 'abc',
        columns: [{ name: 'y', type: 'category' as const, role: 'target' as const }],
        outputUri: 's3://models/runs/x',
        secretEnv: ['creds'],
      };
      const objects = [desiredJob(tj, run), ...(workers > 1 ? [desiredRendezvousService(tj, run)] : [])];
      const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], { namespace: ns, input: objects.map((o) => dump(o)).join('---\n') });
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /would violate PodSecurity/);
    });
  }
});
