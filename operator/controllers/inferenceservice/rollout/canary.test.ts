import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisMeasurement, InferenceService, InferenceServiceStatus } from '../../../api/v1alpha1/types.ts';
import type { RevisionState } from '../revision.ts';
import { canary } from './canary.ts';
import type { RolloutContext } from './strategy.ts';
import { canaryReplicas, desiredRoute, replicaShare, routeWeights } from './traffic.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const STEPS = [{ weight: 20, pause: { duration: '1m' } }, { weight: 50 }];

function isvc(status: InferenceServiceStatus = {}, rollout: Record<string, unknown> = {}): InferenceService {
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'w', namespace: 'ml' },
    spec: { model: { name: 'w', alias: 'production' }, rollout: { strategy: 'Canary', canary: { steps: STEPS }, analysis: { interval: '30s', failureLimit: 1 }, ...rollout } },
    status,
  };
}

function rev(name: string, available = true): RevisionState {
  return { name, modelVersion: `${name}-mv`, replicas: 1, readyReplicas: available ? 1 : 0, available };
}

const stable = rev('old');
const cand = rev('new');

function ctx(status: InferenceServiceStatus, extra: Partial<RolloutContext> = {}): RolloutContext {
  return { isvc: isvc(status), desired: cand, serving: stable, older: [], now: T0, history: status.analysis ?? [], analysisEnabled: true, ...extra };
}

function at(step: number, startMs: number, analysis: AnalysisMeasurement[] = []): InferenceServiceStatus {
  return { canaryRevision: { name: 'new', modelVersion: 'new-mv' }, currentStep: step, stepStartTime: new Date(startMs).toISOString(), analysis };
}

function m(step: number, result: AnalysisMeasurement['result'], atMs: number, metric = 'error-rate'): AnalysisMeasurement {
  return { time: new Date(atMs).toISOString(), revision: 'new', step, metric, result };
}

describe('canary', () => {
  it('waits for the canary to be available without sending it traffic', () => {
    const d = canary.decide(ctx({}, { desired: rev('new', false) }));
    assert.equal(d.serve, 'old');
    assert.equal(d.canary, undefined);
    assert.deepEqual(d.remove, []);
    assert.match(d.progress!.message, /waiting for revision new/);
  });

  it('starts at step 1 with its weight once available, and asks for the first measurement one interval later', () => {
    const d = canary.decide(ctx({}));
    assert.deepEqual(d.canary, { name: 'new', weight: 20 });
    assert.deepEqual(d.step, { index: 0, startMs: T0 });
    assert.deepEqual(d.analyse, { revision: 'new', step: 0, inMs: 30_000 });
    assert.equal(d.phase, 'Progressing');
    assert.match(d.progress!.message, /^step 1\/2: 20% of traffic to revision new \(new-mv\), the rest to old \(old-mv\); analysis: no measurement yet$/);
  });

  it('holds a timed step until the pause is over even when analysis passes', () => {
    const d = canary.decide(ctx(at(0, T0 - 40_000, [m(0, 'Successful', T0 - 10_000)])));
    assert.equal(d.step!.index, 0);
    assert.equal(d.requeueAfterMs, 20_000);
  });

  it('moves to the next step when the pause is over and analysis passed, with an event', () => {
    const d = canary.decide(ctx(at(0, T0 - 61_000, [m(0, 'Successful', T0 - 10_000)])));
    assert.deepEqual(d.step, { index: 1, startMs: T0 });
    assert.deepEqual(d.canary, { name: 'new', weight: 50 });
    assert.equal(d.events?.[0]?.reason, 'RolloutStepped');
  });

  it('does not move on a step without a measurement yet', () => {
    const d = canary.decide(ctx(at(1, T0 - 5_000)));
    assert.equal(d.step!.index, 1);
    assert.equal(d.analyse!.inMs, 25_000);
  });

  it('promotes after the last step: the canary serves and the old revision goes', () => {
    const d = canary.decide(ctx(at(1, T0 - 31_000, [m(1, 'Successful', T0 - 1_000)])));
    assert.equal(d.serve, 'new');
    assert.deepEqual(d.remove, ['old']);
    assert.equal(d.canary, undefined);
    assert.equal(d.progress!.reason, 'RevisionPromoted');
  });

  it('rolls back when one check fails more often than failureLimit, and remembers the revision', () => {
    const d = canary.decide(ctx(at(0, T0 - 61_000, [m(0, 'Failed', T0 - 1_000), m(0, 'Successful', T0 - 1_000, 'latency-p99'), m(0, 'Failed', T0 - 31_000)])));
    assert.equal(d.serve, 'old');
    assert.deepEqual(d.remove, ['new']);
    assert.equal(d.phase, 'RolledBack');
    assert.deepEqual(d.aborted, { revision: 'new', modelVersion: 'new-mv' });
    assert.equal(d.events?.[0]?.reason, 'AnalysisFailed');
    assert.match(d.progress!.message, /rolled back: analysis failed at step 1: .*error-rate/);
  });

  it('tolerates failures up to failureLimit', () => {
    const d = canary.decide(ctx(at(0, T0 - 10_000, [m(0, 'Failed', T0 - 1_000)])));
    assert.equal(d.phase, 'Progressing');
    assert.deepEqual(d.canary, { name: 'new', weight: 20 });
  });

  it('counts only the measurements of the current step', () => {
    const d = canary.decide(ctx(at(1, T0 - 10_000, [m(0, 'Failed', T0 - 100_000), m(0, 'Failed', T0 - 70_000)])));
    assert.equal(d.phase, 'Progressing');
  });

  it('stays rolled back, with nothing started, until a person retries with promote', () => {
    const status: InferenceServiceStatus = { abortedRevision: 'new', conditions: [] };
    const d = canary.decide(ctx(status, { desired: rev('new', false) }));
    assert.equal(d.serve, 'old');
    assert.deepEqual(d.remove, ['new']);
    assert.equal(d.phase, 'RolledBack');
    assert.match(d.progress!.message, /annotate modelops.dev\/promote to try it again/);
    const retried = canary.decide(ctx(status, { desired: rev('new', false), actions: { promote: true } }));
    assert.equal(retried.aborted, undefined);
    assert.deepEqual(retried.acted, { promote: true });
  });

  it('rolls back at once on the abort annotation', () => {
    const d = canary.decide(ctx(at(0, T0 - 1_000), { actions: { abort: true } }));
    assert.equal(d.serve, 'old');
    assert.equal(d.phase, 'RolledBack');
    assert.deepEqual(d.acted, { abort: true });
  });

  it('holds while paused, and goes on with promote', () => {
    const paused = canary.decide(ctx(at(0, T0 - 120_000, [m(0, 'Successful', T0 - 1_000)]), { paused: true }));
    assert.equal(paused.phase, 'Paused');
    assert.equal(paused.step!.index, 0);
    const promoted = canary.decide(ctx(at(0, T0 - 1_000), { paused: true, actions: { promote: true } }));
    assert.equal(promoted.step!.index, 1);
    assert.deepEqual(promoted.acted, { promote: true });
  });

  it('holds an untimed pause until promoted', () => {
    const c = ctx(at(0, T0 - 1_000_000, [m(0, 'Successful', T0 - 1_000)]));
    c.isvc.spec.rollout!.canary!.steps = [{ weight: 10, pause: {} }, { weight: 60 }];
    const d = canary.decide(c);
    assert.equal(d.phase, 'Paused');
    assert.match(d.progress!.message, /waits to be promoted/);
  });

  it('pauses on inconclusive analysis', () => {
    const inconclusive = [1, 2, 3, 4].map((i) => m(0, 'Inconclusive', T0 - i * 1_000));
    const d = canary.decide(ctx(at(0, T0 - 120_000, inconclusive)));
    assert.equal(d.phase, 'Paused');
    assert.match(d.progress!.message, /inconclusive/);
  });

  it('steps on pauses alone when no Prometheus is configured', () => {
    const d = canary.decide(ctx(at(0, T0 - 61_000), { analysisEnabled: false }));
    assert.equal(d.step!.index, 1);
    assert.equal(d.analyse, undefined);
  });

  it('resumes a rollout from status after a restart: the same step and start', () => {
    const d = canary.decide(ctx(at(1, T0 - 5_000)));
    assert.deepEqual(d.step, { index: 1, startMs: T0 - 5_000 });
  });
});

describe('traffic', () => {
  it('sizes the canary for its weight beside the stable Pods', () => {
    assert.equal(canaryReplicas(20, 4), 1);
    assert.equal(canaryReplicas(50, 4), 4);
    assert.equal(canaryReplicas(25, 6), 2);
    assert.equal(canaryReplicas(0, 4), 1);
    assert.equal(canaryReplicas(100, 3), 3);
    assert.equal(canaryReplicas(10, 1), 1);
    assert.equal(replicaShare(1, 4), 20);
  });

  it('writes an HTTPRoute with the weights and the gateway parents', () => {
    const i = isvc();
    i.spec.traffic = { provider: 'GatewayAPI', gateway: { parentRefs: [{ name: 'edge', namespace: 'gw' }], hostnames: ['w.example'] } };
    const route = desiredRoute(i, 'old', { name: 'new', weight: 20 });
    assert.deepEqual(routeWeights(route), { old: 80, new: 20 });
    assert.deepEqual(route.spec.parentRefs, [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge', namespace: 'gw' }]);
    assert.deepEqual(route.spec.hostnames, ['w.example']);
    assert.deepEqual(routeWeights(desiredRoute(i, 'old')), { old: 100 });
  });
});

describe('canary steps', () => {
  it('does not end a step whose newest measurements were inconclusive, even within the limit', () => {
    const d = canary.decide(ctx(at(0, T0 - 61_000, [m(0, 'Inconclusive', T0 - 1_000), m(0, 'Successful', T0 - 31_000)])));
    assert.equal(d.step!.index, 0);
    assert.equal(d.phase, 'Progressing');
  });
});

// status.analysis keeps the newest 50 measurements: a pause for inconclusive analysis must not
// lift itself once the measurements that caused it fall out (seen in the demo).
describe('canary: a hold for inconclusive analysis', () => {
  const inconclusive = [1, 2, 3, 4].map((i) => m(0, 'Inconclusive', T0 - i * 1_000));
  const LATER = T0 + 600_000;
  /** 50 passing rounds after the hold: the inconclusive measurements are no longer in status. */
  const passing = Array.from({ length: 50 }, (_, i) => m(0, 'Successful', LATER - i * 10_000));
  const held = () => canary.decide(ctx(at(0, T0 - 120_000, inconclusive)));
  const after = (extra: Partial<RolloutContext> = {}, analysis = passing) => ctx({ ...at(0, T0 - 120_000, analysis), analysisHold: held().analysisHold }, { now: LATER, ...extra });

  it('records the hold in status: revision, step, why and since when', () => {
    assert.deepEqual(held().analysisHold, {
      revision: 'new',
      step: 0,
      reason: 'AnalysisInconclusive',
      message: 'error-rate was inconclusive 4 times, more than inconclusiveLimit 3',
      since: new Date(T0).toISOString(),
    });
  });

  it('stays paused at its step after the inconclusive measurements fell out of the bounded history', () => {
    const d = canary.decide(after());
    assert.equal(d.phase, 'Paused');
    assert.deepEqual(d.step, { index: 0, startMs: T0 - 120_000 });
    assert.deepEqual(d.canary, { name: 'new', weight: 20 });
    assert.deepEqual(d.analysisHold, held().analysisHold);
    assert.match(d.progress!.message, /analysis is inconclusive: error-rate was inconclusive 4 times, .*; annotate modelops.dev\/promote to continue or modelops.dev\/abort to roll back$/);
  });

  it('goes on to the next step with promote, and the hold is gone', () => {
    const d = canary.decide(after({ actions: { promote: true } }));
    assert.equal(d.phase, 'Progressing');
    assert.equal(d.step!.index, 1);
    assert.equal(d.analysisHold, undefined);
  });

  it('rolls back with abort, and the hold is gone', () => {
    const d = canary.decide(after({ actions: { abort: true } }));
    assert.equal(d.phase, 'RolledBack');
    assert.equal(d.analysisHold, undefined);
  });

  it('still rolls back when analysis fails while held', () => {
    const d = canary.decide(after({}, [m(0, 'Failed', LATER - 1_000), m(0, 'Failed', LATER - 11_000)]));
    assert.equal(d.phase, 'RolledBack');
    assert.equal(d.analysisHold, undefined);
  });

  it('does not hold another revision the spec asks for', () => {
    const d = canary.decide(after({ desired: rev('newer') }));
    assert.equal(d.phase, 'Progressing');
    assert.equal(d.analysisHold, undefined);
  });

  it('keeps the hold while the canary is not available, and while paused by spec', () => {
    assert.deepEqual(canary.decide(after({ desired: rev('new', false) })).analysisHold, held().analysisHold);
    const paused = canary.decide(ctx(at(0, T0 - 120_000, inconclusive), { paused: true }));
    assert.equal(paused.analysisHold?.revision, 'new');
  });

  it('names noData Pause as the reason when that began the hold', () => {
    const c = ctx(at(0, T0 - 120_000, [m(0, 'Inconclusive', T0 - 1_000)]));
    c.isvc.spec.rollout!.analysis!.noData = 'Pause';
    assert.equal(canary.decide(c).analysisHold?.reason, 'AnalysisNoData');
  });

  it('holds without Prometheus too, once held', () => {
    assert.equal(canary.decide(after({ analysisEnabled: false })).phase, 'Paused');
  });
});
