import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DriftMonitor } from '../../api/v1alpha1/types.ts';
import type { PrometheusVectorQuerier } from '../../prometheus/client.ts';
import { InvalidDriftSpec, isCategorical, measure, numericInput, referenceColumnFor } from './measure.ts';
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

describe('measure: prediction drift of a numeric target (source Metrics)', () => {
  // The server bins scalar predictions on the target's edges; the reference is the target's counts.
  const target: ReferenceColumn = { name: 'temp_max', type: 'number', std: 7, distinct: 60, histogram: { edges: [0, 10, 20, 30], counts: [250, 500, 250] } };
  const dm = { apiVersion: 'modelops.dev/v1alpha1', kind: 'DriftMonitor', metadata: { name: 'd', namespace: 'ml' }, spec: { targetRef: { name: 'w' }, schedule: '@hourly' } } as unknown as DriftMonitor;
  /** Prometheus answering the prediction-value query with these cumulative buckets, and nothing else. */
  const prometheus = (cumulative: [string, number][]): PrometheusVectorQuerier => ({
    queryVector: async (query: string) => (query.includes('modelops_prediction_value_bucket') ? cumulative.map(([le, value]) => ({ labels: { le }, value })) : []),
  }) as unknown as PrometheusVectorQuerier;
  const run = (cumulative: [string, number][]) =>
    measure({ dm, scope: { model: 'w', version: '1' }, features: [], columns: [target], target: 'temp_max', windowMs: 3_600_000, prometheus: prometheus(cumulative), atMs: Date.now() });

  it('finds no drift when the predictions fall in the bins as the target did', async () => {
    const m = await run([['0', 0], ['10', 250], ['20', 750], ['30', 1000], ['+Inf', 1000]]);
    assert.equal(m.predictionSkipped, undefined);
    assert.equal(m.prediction?.name, 'temp_max');
    assert.equal(m.prediction?.samples, 1000);
    assert.equal(m.prediction?.verdict, 'NoDrift');
  });

  it('finds drift when they shift to the upper bins, and counts it in the dataset verdict', async () => {
    const m = await run([['0', 0], ['10', 20], ['20', 200], ['30', 700], ['+Inf', 1000]]);
    assert.equal(m.prediction?.verdict, 'Drift');
    assert.equal(m.dataset.drifted, true);
  });

  it('says why when the server exports no scalar predictions', async () => {
    const m = await run([]);
    assert.equal(m.prediction, undefined);
    assert.match(m.predictionSkipped!, /exports no scalar predictions \(modelops_prediction_value\)/);
  });

  it('skips it, saying why, when the server bins on other edges than the target\'s (a signature without the target)', async () => {
    const m = await run([['5', 10], ['15', 500], ['+Inf', 1000]]);
    assert.equal(m.prediction, undefined);
    assert.match(m.predictionSkipped!, /^feature prediction of temp_max: the server's histogram buckets \(le 5, 15\) are not the reference profile's edges .*; the server bins scalar predictions on the target's edges only when the model's signature \(or the profile\) names the target$/);
  });
});
