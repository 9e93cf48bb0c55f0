import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketsOf, categoryFeatureQuery, countsOf, numericFeatureQuery, predictionClassQuery, promRange, quoteLabel } from './queries.ts';

const scope = { model: 'weather', version: '3' };

describe('drift queries', () => {
  it('select the served version\'s series of one feature, summed by le over the window', () =>
    assert.equal(numericFeatureQuery(scope, 'temp_max', 3_600_000), 'sum by (le) (increase(modelops_feature_value_bucket{model="weather",version="3",feature="temp_max"}[3600s]))'));
  it('count categories by category', () =>
    assert.equal(categoryFeatureQuery(scope, 'month', 86_400_000), 'sum by (category) (increase(modelops_feature_category_total{model="weather",version="3",feature="month"}[86400s]))'));
  it('count predicted classes by class', () =>
    assert.equal(predictionClassQuery(scope, 600_000), 'sum by (class) (increase(modelops_prediction_class_total{model="weather",version="3"}[600s]))'));
  it('escape quotes and backslashes in label values', () => assert.equal(quoteLabel('a"b\\c'), '"a\\"b\\\\c"'));
  it('never ask for a range under one second', () => assert.equal(promRange(200), '1s'));
});

describe('bucketsOf', () => {
  it('parses le (+Inf included), rounds extrapolated counts and sorts by le', () => {
    const got = bucketsOf([
      { labels: { le: '+Inf' }, value: 100.4 },
      { labels: { le: '10' }, value: 40.6 },
      { labels: { le: '-1.6' }, value: 2.2 },
    ]);
    assert.deepEqual(got, [
      { le: -1.6, count: 2 },
      { le: 10, count: 41 },
      { le: Infinity, count: 100 },
    ]);
  });
  it('counts NaN (no samples in the window) as 0 and skips series without le', () => {
    assert.deepEqual(bucketsOf([{ labels: { le: '1' }, value: Number.NaN }, { labels: {}, value: 3 }]), [{ le: 1, count: 0 }]);
  });
});

describe('countsOf', () => {
  it('sums per label value, rounded', () => {
    const got = countsOf([{ labels: { category: 'rain' }, value: 9.6 }, { labels: { category: 'sun' }, value: 0 }, { labels: {}, value: 5 }], 'category');
    assert.deepEqual([...got], [['rain', 10], ['sun', 0]]);
  });
});
