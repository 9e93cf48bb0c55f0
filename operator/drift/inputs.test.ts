import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alignCategories, binSorted, countCategories, liveCountsFromBuckets, profileCategoryCounts, sortedSample } from './inputs.ts';

describe('sortedSample', () => {
  it('sorts numerically into a Float64Array and drops missing and infinite values', () => {
    assert.deepEqual([...sortedSample([3, NaN, -1, 10, NaN, 2])], [-1, 2, 3, 10]);
    assert.deepEqual([...sortedSample(Float64Array.of(Infinity, 1, -Infinity, NaN, 0))], [0, 1]);
  });
});

describe('binSorted', () => {
  const edges = [0, 1, 2, 3];
  it('counts [e_i, e_i+1) with the last bin closed, and what falls outside in its own slots', () => {
    assert.deepEqual(binSorted(sortedSample([-0.5, 0, 0.5, 1, 1.5, 2, 3, 3.5]), edges), [1, 2, 2, 2, 1]);
  });
  it('handles an empty sample', () => assert.deepEqual(binSorted(new Float64Array(0), edges), [0, 0, 0, 0, 0]));
});

describe('liveCountsFromBuckets', () => {
  const edges = [0, 1, 2, 3];
  it('turns cumulative le-buckets into per-bin counts, values at the first edge in the first bin', () => {
    // values: 0, 0, 0.5, 1 (le 1), 1.5, 3, 7
    const buckets = [{ le: 0, count: 2 }, { le: 1, count: 4 }, { le: 2, count: 5 }, { le: 3, count: 6 }, { le: Infinity, count: 7 }];
    assert.deepEqual(liveCountsFromBuckets(edges, buckets), [0, 4, 1, 1, 1]);
  });
  it('says what is wrong when the buckets are not the profile\'s edges', () => {
    assert.throws(() => liveCountsFromBuckets(edges, [{ le: 0.5, count: 1 }]), /no bucket le="0"/);
  });
});

describe('alignCategories', () => {
  it('keeps the reference order, adds live-only categories sorted, __other__ last, zeros where missing', () => {
    const ref = profileCategoryCounts([{ value: 'rain', count: 5 }, { value: 'sun', count: 3 }, { value: '__other__', count: 1 }]);
    const live = countCategories(['sun', 'snow', 'fog', 'snow', '__other__', null, undefined]);
    assert.deepEqual(alignCategories(ref, live), {
      categories: ['rain', 'sun', 'fog', 'snow', '__other__'],
      reference: [5, 3, 0, 0, 1],
      live: [0, 1, 1, 2, 1],
    });
  });
});
