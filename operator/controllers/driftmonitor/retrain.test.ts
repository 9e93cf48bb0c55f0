import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DriftMonitor, TrainingJob } from '../../api/v1alpha1/types.ts';
import { ANNOTATION_DRIFT_RUN, ANNOTATION_RUN, decideRetrain, runRequest, desiredTrainingJob, LABEL_DRIFT_MONITOR, retrainJobName } from './retrain.ts';

const HOUR = 3_600_000;

function monitor(status: DriftMonitor['status'] = {}, name = 'weather-drift'): DriftMonitor {
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'DriftMonitor',
    metadata: { name, namespace: 'prod', uid: 'u1' },
    spec: {
      targetRef: { name: 'weather' },
      schedule: '@hourly',
      actions: {
        retrain: {
          template: {
            metadata: { labels: { team: 'ml' } },
            spec: { datasetRef: { name: 'old', version: 'abc' }, model: 'weather', schedule: '@daily', registration: { aliases: ['staging'] }, hyperparameters: { epochs: 5 } },
          },
          aliases: ['production', 'staging'],
        },
      },
    },
    status,
  };
}

function job(name: string, phase: string | undefined, runTime?: string): TrainingJob {
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'TrainingJob',
    metadata: { name, namespace: 'prod', ...(runTime ? { annotations: { [ANNOTATION_DRIFT_RUN]: runTime } } : {}) },
    spec: { datasetRef: { name: 'seattle' }, model: 'weather' },
    ...(phase ? { status: { phase: phase as 'Running' } } : {}),
  };
}

describe('decideRetrain', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const cases: { name: string; dm: DriftMonitor; jobs: TrainingJob[]; want: string | true }[] = [
    { name: 'starts when nothing ran before', dm: monitor(), jobs: [], want: true },
    { name: 'waits while a job it started has no status yet (just created)', dm: monitor(), jobs: [job('a', undefined)], want: 'RetrainingInFlight' },
    { name: 'waits while a job it started is Running, even past the cooldown', dm: monitor({ lastRetrainTime: '2026-11-01T00:00:00Z' }), jobs: [job('a', 'Running')], want: 'RetrainingInFlight' },
    { name: 'waits inside the cooldown after a finished job', dm: monitor({ lastRetrainTime: '2026-12-01T01:00:00Z' }), jobs: [job('a', 'Succeeded')], want: 'CooldownActive' },
    { name: 'starts once the cooldown has passed', dm: monitor({ lastRetrainTime: '2026-11-30T11:00:00Z' }), jobs: [job('a', 'Failed')], want: true },
    { name: 'takes the start time from its jobs when the status lost it (restart)', dm: monitor(), jobs: [job('a', 'Rejected', '2026-12-01T10:00:00.000Z')], want: 'CooldownActive' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = decideRetrain(c.dm, c.jobs, 24 * HOUR, now);
      if (c.want === true) assert.deepEqual(d, { start: true });
      else assert.equal(d.start ? 'start' : d.reason, c.want);
    });
  }
});

describe('desiredTrainingJob', () => {
  const runTime = new Date('2026-12-01T12:00:00Z');
  it('is the template on the reference Dataset\'s current version, one run, with the aliases added', () => {
    const tj = desiredTrainingJob(monitor(), 'seattle', runTime);
    assert.equal(tj.metadata.name, 'weather-drift-retrain-20261201120000');
    assert.deepEqual(tj.spec.datasetRef, { name: 'seattle' }, 'no pinned version: the latest when the run starts');
    assert.equal(tj.spec.schedule, undefined, 'a retraining is one run');
    assert.deepEqual(tj.spec.registration?.aliases, ['staging', 'production']);
    assert.deepEqual(tj.spec.hyperparameters, { epochs: 5 });
    assert.equal(tj.metadata.labels?.team, 'ml');
    assert.equal(tj.metadata.labels?.[LABEL_DRIFT_MONITOR], 'weather-drift');
    assert.equal(tj.metadata.annotations?.[ANNOTATION_DRIFT_RUN], '2026-12-01T12:00:00.000Z');
  });
  it('has the same name for the same run, so a repeated run creates nothing new', () =>
    assert.equal(desiredTrainingJob(monitor(), 'seattle', runTime).metadata.name, desiredTrainingJob(monitor(), 'seattle', new Date(runTime)).metadata.name));
  it('keeps names within 63 characters', () => {
    const name = retrainJobName(monitor({}, 'x'.repeat(80)), runTime);
    assert.ok(name.length <= 63, name);
    assert.match(name, /-retrain-20261201120000$/);
  });
});

describe('runRequest', () => {
  const annotated = (token: string | undefined, answered?: string): DriftMonitor => {
    const dm = monitor(answered ? { lastRunRequest: answered } : {});
    if (token !== undefined) dm.metadata.annotations = { [ANNOTATION_RUN]: token };
    return dm;
  };
  it('asks for a run when the annotation holds a value not yet answered', () => assert.equal(runRequest(annotated('2', '1')), '2'));
  it('asks nothing once answered, or without the annotation', () => {
    assert.equal(runRequest(annotated('2', '2')), undefined);
    assert.equal(runRequest(annotated(undefined)), undefined);
  });
  it('names the retraining of a requested run after the request, not the clock', () =>
    assert.equal(retrainJobName(monitor(), new Date(), 'rabc'), 'weather-drift-retrain-rabc'));
});
