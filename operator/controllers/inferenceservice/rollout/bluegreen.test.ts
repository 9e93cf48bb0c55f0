import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisMeasurement, InferenceService, InferenceServiceStatus } from '../../../api/v1alpha1/types.ts';
import type { RevisionState } from '../revision.ts';
import { blueGreen } from './bluegreen.ts';
import type { RolloutContext } from './strategy.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');

function isvc(status: InferenceServiceStatus = {}, blue: Record<string, unknown> = {}): InferenceService {
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'w', namespace: 'ml' },
    spec: { model: { name: 'w', alias: 'production' }, rollout: { strategy: 'BlueGreen', blueGreen: { scaleDownDelay: '1m', ...blue }, analysis: { interval: '10s', failureLimit: 0 } } },
    status,
  };
}

function rev(name: string, extra: Partial<RevisionState> = {}): RevisionState {
  return { name, modelVersion: `${name}-mv`, replicas: 2, readyReplicas: 2, available: true, ...extra };
}

function m(result: AnalysisMeasurement['result'], atMs: number): AnalysisMeasurement {
  return { time: new Date(atMs).toISOString(), revision: 'new', step: 0, metric: 'error-rate', result };
}

function ctx(status: InferenceServiceStatus, extra: Partial<RolloutContext> = {}, blue: Record<string, unknown> = {}): RolloutContext {
  return { isvc: isvc(status, blue), desired: rev('new'), serving: rev('old'), older: [], now: T0, history: status.analysis ?? [], analysisEnabled: true, ...extra };
}

const previewing = (analysis: AnalysisMeasurement[] = [], startMs = T0 - 20_000): InferenceServiceStatus => ({
  canaryRevision: { name: 'new', modelVersion: 'new-mv' },
  currentStep: 0,
  stepStartTime: new Date(startMs).toISOString(),
  analysis,
});

describe('blue-green', () => {
  it('starts the new revision behind the preview, with no traffic, until it is available', () => {
    const d = blueGreen.decide(ctx({}, { desired: rev('new', { available: false, readyReplicas: 0 }) }));
    assert.equal(d.serve, 'old');
    assert.equal(d.preview, 'new');
    assert.equal(d.canary, undefined);
  });

  it('analyses the preview and keeps all traffic on the serving revision meanwhile', () => {
    const d = blueGreen.decide(ctx(previewing()));
    assert.equal(d.serve, 'old');
    assert.deepEqual(d.analyse, { revision: 'new', step: 0, inMs: 0 });
    assert.match(d.progress!.message, /preview revision new \(new-mv\) is ready at the Service w-preview/);
  });

  it('switches once analysis passed, and keeps the old revision warm for scaleDownDelay', () => {
    const d = blueGreen.decide(ctx(previewing([m('Successful', T0 - 1_000)])));
    assert.equal(d.serve, 'new');
    assert.deepEqual(d.remove, []);
    assert.deepEqual(d.keepWarm, { revision: 'old', untilMs: T0 + 60_000 });
    assert.match(d.progress!.message, /old \(old-mv\) is kept warm for 60s/);
  });

  it('waits for autoPromotionDelay after the preview was ready', () => {
    const d = blueGreen.decide(ctx(previewing([m('Successful', T0 - 1_000)], T0 - 20_000), {}, { autoPromotionDelay: '30s' }));
    assert.equal(d.serve, 'old');
    assert.equal(d.requeueAfterMs, 10_000);
  });

  it('waits for a person with manualPromotion, and switches on promote', () => {
    const held = blueGreen.decide(ctx(previewing([m('Successful', T0 - 1_000)]), {}, { manualPromotion: true }));
    assert.equal(held.phase, 'Paused');
    assert.equal(held.serve, 'old');
    const promoted = blueGreen.decide(ctx(previewing(), { actions: { promote: true } }, { manualPromotion: true }));
    assert.equal(promoted.serve, 'new');
    assert.deepEqual(promoted.acted, { promote: true });
  });

  it('rolls back when the preview fails analysis', () => {
    const d = blueGreen.decide(ctx(previewing([m('Failed', T0 - 1_000)])));
    assert.equal(d.serve, 'old');
    assert.deepEqual(d.remove, ['new']);
    assert.equal(d.phase, 'RolledBack');
    assert.match(d.progress!.message, /analysis of the preview failed/);
  });

  it('after the switch keeps the warm revision until its deadline, then removes it', () => {
    const warm = rev('old', { scaleDownAt: T0 + 5_000 });
    const kept = blueGreen.decide(ctx({}, { serving: rev('new'), older: [warm] }));
    assert.deepEqual(kept.remove, []);
    assert.equal(kept.requeueAfterMs, 5_000);
    const gone = blueGreen.decide(ctx({}, { serving: rev('new'), older: [warm], now: T0 + 6_000 }));
    assert.deepEqual(gone.remove, ['old']);
  });

  it('switches back at once to the warm revision on abort', () => {
    const d = blueGreen.decide(ctx({}, { serving: rev('new'), older: [rev('old', { scaleDownAt: T0 + 5_000 })], actions: { abort: true } }));
    assert.equal(d.serve, 'old');
    assert.deepEqual(d.remove, ['new']);
    assert.equal(d.phase, 'RolledBack');
    assert.deepEqual(d.aborted, { revision: 'new', modelVersion: 'new-mv' });
  });
});

// status.analysis keeps the newest 50 measurements: the hold must outlive them (seen in the demo).
describe('blue-green: a hold for inconclusive analysis', () => {
  const inconclusive = [1, 2, 3, 4].map((i) => m('Inconclusive', T0 - i * 1_000));
  const LATER = T0 + 600_000;
  const passing = Array.from({ length: 50 }, (_, i) => m('Successful', LATER - i * 10_000));
  const held = () => blueGreen.decide(ctx(previewing(inconclusive)));

  it('does not switch after the inconclusive measurements fell out of the bounded history', () => {
    assert.equal(held().phase, 'Paused');
    assert.equal(held().analysisHold?.reason, 'AnalysisInconclusive');
    const d = blueGreen.decide(ctx({ ...previewing(passing), analysisHold: held().analysisHold }, { now: LATER }));
    assert.equal(d.serve, 'old');
    assert.equal(d.phase, 'Paused');
    assert.deepEqual(d.analysisHold, held().analysisHold);
    assert.match(d.progress!.message, /analysis is inconclusive: .*; annotate modelops.dev\/promote to switch or modelops.dev\/abort to roll back$/);
  });

  it('switches on promote, and the hold is gone', () => {
    const d = blueGreen.decide(ctx({ ...previewing(passing), analysisHold: held().analysisHold }, { now: LATER, actions: { promote: true } }));
    assert.equal(d.serve, 'new');
    assert.equal(d.analysisHold, undefined);
  });
});
