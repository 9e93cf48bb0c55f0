import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setCondition } from './conditions.ts';
import { mergePatch } from './status.ts';

describe('mergePatch', () => {
  it('sends only what changed and nulls what was removed', () => {
    assert.deepEqual(mergePatch({ phase: 'Pending', url: 'http://a', nested: { a: 1, b: 2 } }, { phase: 'Ready', nested: { a: 1 } }), {
      phase: 'Ready',
      url: null,
      nested: { b: null },
    });
  });
  it('replaces lists whole (merge patch has no list merging)', () => {
    assert.deepEqual(mergePatch({ conditions: [{ type: 'A' }] }, { conditions: [{ type: 'A' }, { type: 'B' }] }), { conditions: [{ type: 'A' }, { type: 'B' }] });
  });
  it('is empty when nothing changed', () => {
    assert.deepEqual(mergePatch({ a: [1], b: { c: 'd' } }, { a: [1], b: { c: 'd' } }), {});
  });
});

describe('setCondition', () => {
  const t0 = new Date('2026-01-01T00:00:00.000Z');
  const t1 = new Date('2026-01-01T00:05:00.000Z');
  it('adds a condition with the transition time', () => {
    const list = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Waiting' }, t0, 3);
    assert.deepEqual(list, [{ type: 'Ready', status: 'False', reason: 'Waiting', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 3 }]);
  });
  it('keeps lastTransitionTime when only the reason or message changes', () => {
    const before = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Waiting' }, t0);
    const after = setCondition(before, { type: 'Ready', status: 'False', reason: 'StillWaiting', message: 'm' }, t1);
    assert.equal(after[0]!.lastTransitionTime, '2026-01-01T00:00:00Z');
    assert.equal(after[0]!.reason, 'StillWaiting');
  });
  it('moves lastTransitionTime when the status flips', () => {
    const before = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Waiting' }, t0);
    const after = setCondition(before, { type: 'Ready', status: 'True', reason: 'Done' }, t1);
    assert.equal(after[0]!.lastTransitionTime, '2026-01-01T00:05:00Z');
  });
  it('does not modify the list it was given', () => {
    const before = setCondition(undefined, { type: 'A', status: 'True', reason: 'R' }, t0);
    const copy = structuredClone(before);
    setCondition(before, { type: 'A', status: 'False', reason: 'R' }, t1);
    setCondition(before, { type: 'B', status: 'False', reason: 'R' }, t1);
    assert.deepEqual(before, copy);
  });
});
