import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InferenceService } from '../../../api/v1alpha1/types.ts';
import type { RevisionState } from '../revision.ts';
import { recreate } from './recreate.ts';
import type { RolloutContext, RolloutDecision } from './strategy.ts';

const isvc: InferenceService = { apiVersion: 'modelops.dev/v1alpha1', kind: 'InferenceService', metadata: { name: 'w', namespace: 'ml' }, spec: { model: { modelVersion: 'w-v1' } } };

function rev(name: string, opts: Partial<RevisionState> = {}): RevisionState {
  return { name, modelVersion: `${name}-mv`, replicas: 1, readyReplicas: opts.available ? 1 : 0, available: false, ...opts };
}

const cases: { name: string; ctx: Omit<RolloutContext, 'isvc'>; want: Pick<RolloutDecision, 'serve' | 'remove'>; progress?: RegExp }[] = [
  { name: 'nothing exists and the model does not resolve: nothing serves, nothing goes', ctx: { older: [] }, want: { serve: undefined, remove: [] } },
  { name: 'the first revision is not ready yet: nothing serves, it is waited for', ctx: { desired: rev('a'), older: [] }, want: { serve: undefined, remove: [] }, progress: /^True RevisionStarting waiting for revision a \(a-mv\): 0\/1 Pods ready$/ },
  { name: 'the first revision is ready: it serves', ctx: { desired: rev('a', { available: true }), older: [] }, want: { serve: 'a', remove: [] }, progress: /^True RevisionPromoted revision a \(a-mv\) serves$/ },
  { name: 'the desired revision serves: older ones go', ctx: { desired: rev('a', { available: true }), serving: rev('a', { available: true }), older: [rev('old')] }, want: { serve: 'a', remove: ['old'] }, progress: /RevisionPromoted/ },
  {
    name: 'a new revision not ready yet: the old one keeps serving, nothing goes but leftovers',
    ctx: { desired: rev('b'), serving: rev('a', { available: true }), older: [rev('left')] },
    want: { serve: 'a', remove: ['left'] },
    progress: /^True RevisionStarting waiting for revision b \(b-mv\): 0\/1 Pods ready; a \(a-mv\) keeps serving$/,
  },
  { name: 'a new revision ready: it serves at once and the old one goes', ctx: { desired: rev('b', { available: true }), serving: rev('a', { available: true }), older: [] }, want: { serve: 'b', remove: ['a'] }, progress: /RevisionPromoted/ },
  {
    name: 'a new revision that cannot become ready: the old keeps serving and the condition names the Pod problem',
    ctx: { desired: rev('b', { problem: 'Pod b-1: image x cannot be pulled (ErrImagePull)' }), serving: rev('a', { available: true }), older: [] },
    want: { serve: 'a', remove: [] },
    progress: /^False RevisionBlocked revision b \(b-mv\) cannot become ready: Pod b-1: image x cannot be pulled \(ErrImagePull\); a \(a-mv\) keeps serving$/,
  },
  { name: 'the model stops resolving: the serving revision stays, a half-started one goes', ctx: { serving: rev('a', { available: true }), older: [rev('b')] }, want: { serve: 'a', remove: ['b'] } },
  { name: 'a serving revision with no ready Pods still serves when nothing better is ready', ctx: { desired: rev('b'), serving: rev('a'), older: [] }, want: { serve: 'a', remove: [] }, progress: /RevisionStarting/ },
];

describe('the Recreate strategy (an immediate switch once the new revision is available)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const d = recreate.decide({ isvc, ...c.ctx });
      assert.deepEqual({ serve: d.serve, remove: d.remove }, c.want);
      if (c.progress) assert.match(`${d.progress?.status} ${d.progress?.reason} ${d.progress?.message}`, c.progress);
      else assert.equal(d.progress, undefined);
    });
  }
});
