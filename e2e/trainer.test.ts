// Story: the trainer image trains in a Job on a real node, following the trainer contract,
// and the kubelet carries its termination message into the Pod's status, where the operator
// will read it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dump } from 'js-yaml';
import { kubectlOk } from '../test/support/cluster.ts';
import { REPO_ROOT } from '../test/support/control-plane.ts';
import { waitFor } from '../test/support/wait.ts';
import { loadProjectImage, startCluster } from './support.ts';
import type { Cluster } from './support.ts';

let cluster: Cluster;
before(async () => {
  cluster = await startCluster();
  await loadProjectImage(cluster, 'trainer');
});
after(async () => {
  await cluster?.stop();
});

const schema = {
  columns: [
    { name: 'date', type: 'timestamp', role: 'timestamp' },
    { name: 'precipitation', type: 'number' },
    { name: 'temp_max', type: 'number' },
    { name: 'temp_min', type: 'number' },
    { name: 'wind', type: 'number' },
    { name: 'weather', type: 'category', role: 'target' },
  ],
};

describe('the trainer image on a real node', () => {
  it('given the Seattle weather data, when a Job runs the trainer, then the Pod reports the trained model in its termination message', async () => {
    const k = { kubeconfig: cluster.kubeconfig, namespace: 'default' };
    const csv = readFileSync(join(REPO_ROOT, 'node_modules/vega-datasets/data/seattle-weather.csv'), 'utf8');
    await kubectlOk(['create', 'configmap', 'seattle', `--from-literal=seattle-weather.csv=${csv}`], k);
    await kubectlOk(['apply', '-f', '-'], {
      ...k,
      input: dump({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'train' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [
                {
                  name: 'trainer',
                  image: 'localhost/modelops/trainer:0.1.0',
                  imagePullPolicy: 'Never',
                  env: [
                    { name: 'MODELOPS_DATASET_URI', value: 'file:///data/seattle-weather.csv' },
                    { name: 'MODELOPS_SCHEMA', value: JSON.stringify(schema) },
                    { name: 'MODELOPS_OUTPUT_URI', value: 'file:///tmp/out' },
                    { name: 'MODELOPS_HYPERPARAMETERS', value: '{"epochs": 20}' },
                  ],
                  terminationMessagePolicy: 'FallbackToLogsOnError',
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                  volumeMounts: [
                    { name: 'data', mountPath: '/data', readOnly: true },
                    { name: 'tmp', mountPath: '/tmp' },
                  ],
                },
              ],
              volumes: [
                { name: 'data', configMap: { name: 'seattle' } },
                { name: 'tmp', emptyDir: {} },
              ],
            },
          },
        },
      }),
    });
    await kubectlOk(['wait', '--for=condition=Complete', 'job/train', '--timeout=240s'], k);
    const pods = JSON.parse(await kubectlOk(['get', 'pods', '-l', 'job-name=train', '-o', 'json'], k));
    const terminated = pods.items[0].status.containerStatuses[0].state.terminated;
    assert.equal(terminated.exitCode, 0);
    const message = JSON.parse(terminated.message);
    assert.equal(message.status, 'Succeeded');
    assert.equal(message.task, 'classification');
    assert.match(message.model.sha256, /^[a-f0-9]{64}$/);
    assert.ok(message.metrics.accuracy > message.baselineMetrics.accuracy + 0.1, `accuracy ${message.metrics.accuracy} vs baseline ${message.baselineMetrics.accuracy}`);
    await waitFor('nothing left running', async () => (await kubectlOk(['get', 'pods', '--field-selector=status.phase=Running', '-o', 'name'], k)).trim() === '');
  });
});
