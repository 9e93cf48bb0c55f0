import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidDriftSpec, isCategorical, numericInput, referenceColumnFor } from './measure.ts';
import type { ReferenceColumn } from './reference.ts';

const tempMax: ReferenceColumn = { name: 'temp_max', type: 'number', std: 7, distinct: 60, histogram: { edges: [0, 10, 20, 30], counts: [5, 10, 5] } };

describe('numericInput', () => {
  it('turns the server\'s cumulative le buckets into counts per profile bin', () => {
    const input = numericInput('temp_max', tempMax, [{ le: 0, count: 1 }, { le: 10, count: 4 }, { le: 20, count: 9 }, { le: 30, count: 9 }, { le: Infinity, count: 12 }]);
    assert.equal(input.kind, 'numericBinned');
    assert.deepEqual(input.kind === 'numericBinned' && input.live, [0, 4, 5, 0, 3]);
  });
  it('counts no series at all as zero samples (InsufficientData later), not an error', () => {
    const input = numericInput('temp_max', tempMax, []);
    assert.deepEqual(input.kind === 'numericBinned' && input.live, [0, 0, 0, 0, 0]);
  });
  it('says so when the server bins by other edges than the reference', () =>
    assert.throws(() => numericInput('temp_max', tempMax, [{ le: 5, count: 1 }, { le: Infinity, count: 2 }]), (err: unknown) => err instanceof InvalidDriftSpec && /not the reference profile's edges.*omit spec.reference/.test((err as Error).message)));
});

describe('referenceColumnFor', () => {
  it('refuses a feature the profile does not have', () => assert.throws(() => referenceColumnFor('humidity', [tempMax]), /humidity is not a column/));
  it('refuses a numeric column without a histogram', () => assert.throws(() => referenceColumnFor('d', [{ name: 'd', type: 'timestamp' }]), /no histogram/));
  it('takes category and boolean columns as categorical', () => {
    assert.equal(isCategorical({ name: 'w', type: 'category', categories: [{ value: 'sun', count: 3 }] }), true);
    assert.equal(isCategorical(tempMax), false);
  });
});
