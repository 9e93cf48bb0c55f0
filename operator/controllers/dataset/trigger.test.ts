import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dataset } from '../../api/v1alpha1/types.ts';
import { ingestSpecHash } from './desired.ts';
import type { RunView } from './run.ts';
import { planRun } from './trigger.ts';

const ds = (extra: Partial<Dataset['spec']> = {}, annotations?: Record<string, string>): Dataset => ({
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'Dataset',
  metadata: { name: 'weather', namespace: 'ml', uid: 'u1', generation: 4, creationTimestamp: new Date('2026-12-01T00:00:00Z'), ...(annotations ? { annotations } : {}) },
  spec: { source: { uri: 'https://example.com/w.csv' }, schema: { columns: [{ name: 'temp', type: 'number' }] }, ...extra },
});
const done = (d: Dataset, extra: Partial<RunView> = {}): RunView => ({ job: 'weather-ingest-g3', trigger: 'spec', state: 'Succeeded', specHash: ingestSpecHash(d.spec), finishedAt: '2026-12-01T00:01:00Z', ...extra });
const at = (t: string) => new Date(t);

describe('planRun', () => {
  it('starts the first ingest, and one for a spec change that touches what the ingest reads', () => {
    assert.equal(planRun(ds(), undefined, at('2026-12-01T01:00:00Z'), undefined).run?.trigger, 'spec');
    const d = ds();
    const changed = ds({ validation: { minRows: 5 } });
    assert.equal(planRun(changed, done(d), at('2026-12-01T01:00:00Z'), undefined).run?.trigger, 'spec');
    assert.equal(planRun(ds({ retention: { maxVersions: 2 } }), done(d), at('2026-12-01T01:00:00Z'), undefined).run, undefined, 'retention alone needs no run');
  });
  it('starts a manual refresh once per annotation value', () => {
    const d = ds({}, { 'modelops.dev/refresh': 'one' });
    assert.equal(planRun(d, done(d), at('2026-12-01T01:00:00Z'), undefined).run?.trigger, 'refresh');
    assert.equal(planRun(d, done(d, { token: 'one' }), at('2026-12-01T01:00:00Z'), undefined).run, undefined);
  });
  it('starts a scheduled refresh when due, tells the next time, and nothing while a run is active', () => {
    const d = ds({ refresh: { schedule: '0 * * * *' } });
    const p = planRun(d, done(d), at('2026-12-01T02:30:00Z'), at('2026-12-01T01:00:00Z'));
    assert.deepEqual(p.run, { trigger: 'schedule', scheduledAt: at('2026-12-01T02:00:00Z') });
    assert.deepEqual(p.next, at('2026-12-01T03:00:00Z'));
    assert.equal(p.missed, 0);
    const busy = planRun(d, { ...done(d), state: 'Active' }, at('2026-12-01T02:30:00Z'), at('2026-12-01T01:00:00Z'));
    assert.equal(busy.run, undefined);
    assert.deepEqual(busy.next, at('2026-12-01T03:00:00Z'));
  });
  it('counts missed refreshes, skips one past startingDeadlineSeconds, and schedules nothing when suspended', () => {
    const d = ds({ refresh: { schedule: '0 * * * *', startingDeadlineSeconds: 60 } });
    const late = planRun(d, done(d), at('2026-12-01T05:30:00Z'), at('2026-12-01T01:00:00Z'));
    assert.equal(late.run, undefined);
    assert.equal(late.missed, 4);
    const suspended = ds({ refresh: { schedule: '0 * * * *', suspend: true } });
    const s = planRun(suspended, done(suspended), at('2026-12-01T05:30:00Z'), at('2026-12-01T01:00:00Z'));
    assert.equal(s.run, undefined);
    assert.equal(s.next, undefined);
  });
  it('lets a spec run also serve a due scheduled refresh', () => {
    const old = ds({ refresh: { schedule: '0 * * * *' } });
    const d = ds({ refresh: { schedule: '0 * * * *' }, validation: { minRows: 2 } });
    const p = planRun(d, done(old), at('2026-12-01T02:30:00Z'), at('2026-12-01T01:00:00Z'));
    assert.deepEqual(p.run, { trigger: 'spec', scheduledAt: at('2026-12-01T02:00:00Z') });
  });
});
