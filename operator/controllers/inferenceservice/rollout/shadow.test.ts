import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisMeasurement, InferenceService, InferenceServiceStatus } from '../../../api/v1alpha1/types.ts';
import type { RevisionState } from '../revision.ts';
import { shadow } from './shadow.ts';
import type { RolloutContext } from './strategy.ts';
import { desiredRoute, MIRROR_FEATURE, mirrorSupport, supportedFeatures } from './traffic.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');

function isvc(status: InferenceServiceStatus, settings: Record<string, unknown> = {}, provider = 'GatewayAPI'): InferenceService {
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'w', namespace: 'ml' },
    spec: {
      model: { name: 'w', alias: 'production' },
      rollout: { strategy: 'Shadow', shadow: { duration: '1m', mirrorPercent: 50, ...settings }, analysis: { interval: '10s', failureLimit: 0 } },
      traffic: { provider: provider as 'GatewayAPI', gateway: { parentRefs: [{ name: 'edge' }] } },
    },
    status,
  };
}

const rev = (name: string): RevisionState => ({ name, modelVersion: `${name}-mv`, replicas: 1, readyReplicas: 1, available: true });
const m = (result: AnalysisMeasurement['result'], atMs: number, metric = 'prediction-shift'): AnalysisMeasurement => ({ time: new Date(atMs).toISOString(), revision: 'new', step: 0, metric, result });
const at = (startMs: number, analysis: AnalysisMeasurement[] = []): InferenceServiceStatus => ({ canaryRevision: { name: 'new', modelVersion: 'new-mv' }, currentStep: 0, stepStartTime: new Date(startMs).toISOString(), analysis });
const ctx = (i: InferenceService, extra: Partial<RolloutContext> = {}): RolloutContext => ({ isvc: i, desired: rev('new'), serving: rev('old'), older: [], now: T0, history: i.status?.analysis ?? [], analysisEnabled: true, ...extra });

describe('shadow', () => {
  it('mirrors a share of the requests to the candidate while stable answers them all', () => {
    const d = shadow.decide(ctx(isvc(at(T0 - 10_000))));
    assert.equal(d.serve, 'old');
    assert.deepEqual(d.mirror, { name: 'new', percent: 50 });
    assert.equal(d.canary, undefined);
    assert.equal(d.requeueAfterMs, 50_000);
    const route = desiredRoute(isvc({}), d.serve!, d.canary, d.mirror);
    assert.deepEqual(route.spec.rules[0]!.filters, [{ type: 'RequestMirror', requestMirror: { backendRef: { kind: 'Service', name: 'new', port: 80 }, percent: 50 } }]);
  });

  it('drops the candidate when the comparison fails', () => {
    const d = shadow.decide(ctx(isvc(at(T0 - 10_000, [m('Failed', T0 - 1_000)]))));
    assert.equal(d.phase, 'RolledBack');
    assert.deepEqual(d.remove, ['new']);
    assert.equal(d.mirror, undefined);
  });

  it('reports and holds after a passed comparison unless promote is set', () => {
    const passed = [m('Successful', T0 - 1_000)];
    const held = shadow.decide(ctx(isvc(at(T0 - 61_000, passed))));
    assert.equal(held.phase, 'Paused');
    assert.match(held.progress!.message, /the comparison passed over 1m; annotate modelops.dev\/promote/);
    const promoted = shadow.decide(ctx(isvc(at(T0 - 61_000, passed), { promote: true })));
    assert.equal(promoted.serve, 'new');
    assert.deepEqual(promoted.remove, ['old']);
  });

  it('needs the GatewayAPI provider, and says so', () => {
    const d = shadow.decide(ctx(isvc(at(T0), {}, 'Service')));
    assert.equal(d.serve, 'old');
    assert.equal(d.progress!.reason, 'InvalidSpec');
    assert.match(d.progress!.message, /set spec.traffic.provider to GatewayAPI/);
  });
});

// What Traefik 3.7.13 publishes (a few of its 40-odd names; test/integration/gateway.test.ts reads the real list).
const TRAEFIK = { gateway: 'infra/edge', gatewayClass: 'traefik', controller: 'traefik.io/gateway-controller', features: ['Gateway', 'HTTPRoute', 'HTTPRouteHostRewrite', 'HTTPRoutePathRewrite'] };

describe('shadow: the Gateway must mirror', () => {
  it('reads a GatewayClass\'s supported features in both published forms, and none', () => {
    assert.deepEqual(supportedFeatures({ status: { supportedFeatures: [{ name: 'HTTPRoute' }, { name: MIRROR_FEATURE }] } }), ['HTTPRoute', MIRROR_FEATURE]);
    assert.deepEqual(supportedFeatures({ status: { supportedFeatures: ['HTTPRoute'] } }), ['HTTPRoute']);
    assert.equal(supportedFeatures({ status: {} }), undefined);
    assert.equal(supportedFeatures(undefined), undefined);
  });

  it('is refused by any parent whose class lists its features without RequestMirror, known when all list it, unknown otherwise', () => {
    const mirrors = { ...TRAEFIK, gateway: 'ml/other', features: [...TRAEFIK.features, MIRROR_FEATURE] };
    const refused = mirrorSupport([mirrors, TRAEFIK]);
    assert.equal(refused.supported, false);
    assert.match(refused.message, /^Gateway infra\/edge \(class traefik, controller traefik.io\/gateway-controller\) does not list HTTPRouteRequestMirror/);
    assert.equal(mirrorSupport([mirrors]).supported, true);
    const unknown = mirrorSupport([mirrors, { gateway: 'ml/edge', gatewayClass: 'old' }, { gateway: 'ml/gone', unreadable: 'Gateway gone not found' }]);
    assert.equal(unknown.supported, undefined);
    assert.equal(unknown.message, 'mirroring not verified (ml/edge\'s class old publishes no status.supportedFeatures; ml/gone: Gateway gone not found)');
  });

  it('holds with MirrorUnsupported, mirroring nothing and keeping the candidate, when the Gateway cannot mirror', () => {
    const d = shadow.decide(ctx(isvc(at(T0 - 10_000)), { mirroring: mirrorSupport([TRAEFIK]) }));
    assert.equal(d.serve, 'old');
    assert.equal(d.mirror, undefined);
    assert.deepEqual(d.remove, []);
    assert.equal(d.phase, 'Paused');
    assert.equal(d.progress!.reason, 'MirrorUnsupported');
    assert.match(d.progress!.message, /nothing is mirrored and revision old \(old-mv\) keeps serving: attach the route to a Gateway whose implementation mirrors requests, or choose strategy Canary or BlueGreen$/);
    assert.equal(d.requeueAfterMs, 60_000);
  });

  it('switches to the candidate at once when a person promotes it meanwhile (no mirror needed)', () => {
    const d = shadow.decide(ctx(isvc(at(T0 - 10_000)), { mirroring: mirrorSupport([TRAEFIK]), actions: { promote: true } }));
    assert.equal(d.serve, 'new');
    assert.equal(d.mirror, undefined);
    assert.deepEqual(d.acted, { promote: true });
  });

  it('mirrors when support is not known, and says so', () => {
    const d = shadow.decide(ctx(isvc(at(T0 - 10_000)), { mirroring: mirrorSupport([{ gateway: 'ml/edge', gatewayClass: 'old' }]) }));
    assert.deepEqual(d.mirror, { name: 'new', percent: 50 });
    assert.match(d.progress!.message, /answers all of them \(mirroring not verified \(ml\/edge's class old publishes no status.supportedFeatures\)\)/);
  });
});

// status.analysis keeps the newest 50 measurements: the hold must outlive them (seen in the demo).
describe('shadow: a hold for inconclusive analysis', () => {
  const LATER = T0 + 600_000;
  const passing = Array.from({ length: 50 }, (_, i) => m('Successful', LATER - i * 10_000));
  const held = () => shadow.decide(ctx(isvc(at(T0 - 10_000, [1, 2, 3, 4].map((i) => m('Inconclusive', T0 - i * 1_000))), { promote: true })));

  it('neither promotes nor ends the hold after the inconclusive measurements fell out of the bounded history', () => {
    assert.equal(held().phase, 'Paused');
    const d = shadow.decide(ctx(isvc({ ...at(T0 - 10_000, passing), analysisHold: held().analysisHold }, { promote: true }), { now: LATER }));
    assert.equal(d.serve, 'old');
    assert.equal(d.phase, 'Paused');
    assert.deepEqual(d.mirror, { name: 'new', percent: 50 });
    assert.deepEqual(d.analysisHold, held().analysisHold);
    assert.match(d.progress!.message, /analysis is inconclusive: .*; annotate modelops.dev\/promote to switch or modelops.dev\/abort to drop it$/);
  });

  it('switches on promote, and the hold is gone', () => {
    const d = shadow.decide(ctx(isvc({ ...at(T0 - 10_000, passing), analysisHold: held().analysisHold }), { now: LATER, actions: { promote: true } }));
    assert.equal(d.serve, 'new');
    assert.equal(d.analysisHold, undefined);
  });
});
