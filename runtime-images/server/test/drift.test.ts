// The drift collectors the DriftMonitor reads: bucket semantics, bounded categories, profiles.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DriftRecorder, MAX_UNPROFILED_CATEGORIES, OTHER_CATEGORY, parseProfile } from '../src/drift.ts';
import type { Signature } from '../src/signature.ts';
import type { Tensor } from '../src/tensor.ts';

const SIG: Signature = {
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [-1, 2], features: ['a', 'b'], allowNaN: true },
    { name: 'city', datatype: 'BYTES', shape: [-1, 1], features: ['city'] },
  ],
  outputs: [{ name: 'score', datatype: 'FP32', shape: [-1, 1] }],
};

function values(rec: DriftRecorder, name: string): Map<string, number> {
  const m = rec.metrics().find((x) => x.name === name);
  assert.ok(m, name);
  return new Map(m.get().values.map((v) => [`${v.metricName ?? name}${JSON.stringify(v.labels)}`, v.value]));
}

const fp32 = (rows: number[][]): Tensor => ({ datatype: 'FP32', shape: [rows.length, 2], data: Float32Array.from(rows.flat()) });

describe('parseProfile', () => {
  const cases: [string, unknown, (p: ReturnType<typeof parseProfile>) => void][] = [
    ['takes histogram edges, sorted and deduplicated', { columns: { a: { type: 'number', histogram: { edges: [5, 1, 1, 3] } } } },
      (p) => assert.deepEqual(p.columns.get('a')?.edges, [1, 3, 5])],
    ['falls back to quantile values as edges', { columns: { a: { type: 'number', quantiles: { '0.25': 2, '0.5': 4, '0.75': 9 } } } },
      (p) => assert.deepEqual(p.columns.get('a')?.edges, [2, 4, 9])],
    ['takes category lists or the keys of category counts', { columns: { c: { type: 'category', categoryCounts: { x: 3, y: 1 } } } },
      (p) => assert.deepEqual(p.columns.get('c')?.categories, ['x', 'y'])],
    ['keeps the target name', { columns: {}, target: 'y' }, (p) => assert.equal(p.target, 'y')],
    ['reads the Dataset ingest\'s DatasetProfile: a list of named columns, categories with counts', {
      apiVersion: 'modelops.dev/v1alpha1', kind: 'DatasetProfile', rows: 1461,
      columns: [
        { name: 'temp_max', type: 'number', count: 1461, nulls: 0, min: -1.6, max: 35.6, quantiles: { p05: 6.1, p50: 15.6 }, histogram: { edges: [-1.6, 0.26, 35.6], counts: [5, 1455] } },
        { name: 'weather', type: 'category', count: 1461, nulls: 0, categories: [{ value: 'rain', count: 641 }, { value: 'sun', count: 640 }, { value: '__other__', count: 180 }] },
        { name: 'date', type: 'timestamp', count: 1461, nulls: 0, minTime: '2012-01-01T00:00:00.000Z' },
      ] },
    (p) => {
      assert.deepEqual(p.columns.get('temp_max'), { type: 'number', edges: [-1.6, 0.26, 35.6] });
      assert.deepEqual(p.columns.get('weather'), { type: 'category', categories: ['rain', 'sun', '__other__'] });
      assert.equal(p.columns.has('date'), false, 'no edges, no categories: nothing to bin by');
    }],
  ];
  for (const [name, json, check] of cases) it(name, () => check(parseProfile(json)));
  it('rejects a profile without columns', () => assert.throws(() => parseProfile({ rows: 3 }), /columns/));
  it('rejects a listed column without a name', () => assert.throws(() => parseProfile({ columns: [{ type: 'number' }] }), /columns\[0\] has no name/));
});

describe('DriftRecorder', () => {
  const profile = parseProfile({
    columns: { a: { type: 'number', histogram: { edges: [0, 10] } }, city: { type: 'category', categories: ['oslo', 'rome'] }, y: { type: 'number', histogram: { edges: [0.5] } } },
    target: 'y',
  });

  it('puts a value equal to an edge in that edge\'s bucket (le), cumulatively', () => {
    const rec = new DriftRecorder(SIG, profile, 'm', '1');
    rec.observeInputs(new Map([['x', fp32([[-1, 0], [0, 0], [10, 0], [11, 0], [Number.NaN, 0]])]]));
    const v = values(rec, 'modelops_feature_value');
    const b = (le: string | number) => v.get(`modelops_feature_value_bucket${JSON.stringify({ model: 'm', version: '1', feature: 'a', le })}`);
    assert.equal(b(0), 2);
    assert.equal(b(10), 3);
    assert.equal(b('+Inf'), 4, 'NaN is not a value');
    assert.equal(values(rec, 'modelops_feature_missing_total').get(`modelops_feature_missing_total${JSON.stringify({ model: 'm', version: '1', feature: 'a' })}`), 1);
    assert.equal(rec.unprofiled.join(), 'b', 'b has no edges, so no histogram');
  });

  it('folds categories outside the profile into __other__', () => {
    const rec = new DriftRecorder(SIG, profile, 'm', '1');
    rec.observeInputs(new Map([['city', { datatype: 'BYTES', shape: [3, 1], data: ['oslo', 'lima', 'oslo'] } as Tensor]]));
    const v = values(rec, 'modelops_feature_category_total');
    const c = (category: string) => v.get(`modelops_feature_category_total${JSON.stringify({ model: 'm', version: '1', feature: 'city', category })}`);
    assert.deepEqual([c('oslo'), c('rome'), c(OTHER_CATEGORY), c('lima')], [2, 0, 1, undefined]);
  });

  it(`caps categories without a profile at ${MAX_UNPROFILED_CATEGORIES}`, () => {
    const rec = new DriftRecorder(SIG, undefined, 'm', '1');
    const data = Array.from({ length: 200 }, (_, i) => `c${i}`);
    rec.observeInputs(new Map([['city', { datatype: 'BYTES', shape: [200, 1], data } as Tensor]]));
    const v = values(rec, 'modelops_feature_category_total');
    assert.equal(v.size, MAX_UNPROFILED_CATEGORIES + 1);
    assert.equal(v.get(`modelops_feature_category_total${JSON.stringify({ model: 'm', version: '1', feature: 'city', category: OTHER_CATEGORY })}`), 150);
  });

  it('buckets scalar predictions by the profile target edges', () => {
    const rec = new DriftRecorder(SIG, profile, 'm', '1');
    rec.observeOutputs(new Map([['score', { datatype: 'FP32', shape: [3, 1], data: Float32Array.from([0.2, 0.7, 0.5]) } as Tensor]]));
    const v = values(rec, 'modelops_prediction_value');
    assert.equal(v.get(`modelops_prediction_value_bucket${JSON.stringify({ model: 'm', version: '1', output: 'score', le: 0.5 })}`), 2);
    assert.equal(v.get(`modelops_prediction_value_count${JSON.stringify({ model: 'm', version: '1', output: 'score' })}`), 3);
  });
});
