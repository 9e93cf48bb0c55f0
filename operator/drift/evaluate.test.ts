import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binOf } from '../data/profile.ts';
import { DriftMethodError, allStatistics, chooseMethod, datasetDrift, evaluateFeature, isDrift, thresholdFor } from './evaluate.ts';
import type { FeatureInput } from './evaluate.ts';
import { binSorted, countCategories, liveCountsFromBuckets, sortedSample } from './inputs.ts';
import { NUMERIC_FEATURES, reference, seattleWeather } from './testdata/fixture.ts';
import type { Scenario } from './testdata/fixture.ts';

describe('chooseMethod follows Evidently\'s default stattest', () => {
  const table: [string, 'numeric' | 'categorical', number, number, string, boolean][] = [
    ['a numeric feature with a small reference gets KS', 'numeric', 1000, 500, 'KS', false],
    ['a numeric feature with a large reference gets Wasserstein', 'numeric', 1001, 500, 'Wasserstein', false],
    ['a categorical feature with a small reference gets chi-squared', 'categorical', 736, 5, 'ChiSquared', true],
    ['a binary feature with a small reference gets chi-squared (Evidently\'s Z-test)', 'categorical', 736, 2, 'ChiSquared', true],
    ['a categorical feature with a large reference gets Jensen-Shannon', 'categorical', 5000, 40, 'JensenShannon', true],
    ['a numeric feature with at most 5 values is compared as categories (small reference)', 'numeric', 200, 5, 'ChiSquared', true],
    ['a numeric feature with at most 5 values is compared as categories (large reference)', 'numeric', 20000, 3, 'JensenShannon', true],
    ['a numeric feature with 6 values is numeric', 'numeric', 200, 6, 'KS', false],
  ];
  for (const [name, type, rows, distinct, method, asCategories] of table) {
    it(name, () => assert.deepEqual(chooseMethod(type, rows, distinct), { method, asCategories }));
  }
});

describe('thresholds and verdicts', () => {
  it('takes the feature threshold, else the spec\'s, else the default', () => {
    assert.equal(thresholdFor('KS', 0.01, { ksPValue: 0.1 }), 0.01);
    assert.equal(thresholdFor('KS', undefined, { ksPValue: 0.1 }), 0.1);
    assert.equal(thresholdFor('KS'), 0.05);
    assert.equal(thresholdFor('Wasserstein', undefined, { ksPValue: 0.1 }), 0.1);
    assert.equal(thresholdFor('PSI', undefined, { psi: undefined }), 0.1);
  });
  it('a test drifts below its p-value threshold, a distance above its threshold', () => {
    assert.equal(isDrift('KS', 0.049, 0.05), true);
    assert.equal(isDrift('ChiSquared', 0.05, 0.05), false);
    assert.equal(isDrift('JensenShannon', 0.11, 0.1), true);
    assert.equal(isDrift('PSI', 0.1, 0.1), false);
  });
  it('too few live samples is InsufficientData, not NoDrift', () => {
    const input: FeatureInput = { kind: 'numericSamples', reference: sortedSample([1, 2, 3, 4, 5, 6, 7]), live: sortedSample([1, 2, 3]) };
    const r = evaluateFeature('x', input, { minSamples: 10 });
    assert.equal(r.verdict, 'InsufficientData');
    assert.equal(r.samples, 3);
    assert.equal(r.statistic, undefined);
  });
  it('an empty reference is InsufficientData', () => {
    const r = evaluateFeature('c', { kind: 'categorical', reference: new Map(), live: new Map([['a', 500]]) });
    assert.equal(r.verdict, 'InsufficientData');
  });
  it('refuses KS or Wasserstein on a categorical feature with a typed error', () => {
    const input: FeatureInput = { kind: 'categorical', reference: new Map([['a', 200]]), live: new Map([['a', 200]]) };
    assert.throws(() => evaluateFeature('c', input, { method: 'KS' }), DriftMethodError);
  });
});

describe('datasetDrift', () => {
  const f = (...v: ('Drift' | 'NoDrift' | 'InsufficientData')[]) => v.map((verdict) => ({ verdict }));
  it('drifts when at least the share of judged features drift', () => {
    assert.deepEqual(datasetDrift(f('Drift', 'NoDrift')), { verdict: 'Drifted', drifted: true, driftedShare: 0.5 });
    assert.deepEqual(datasetDrift(f('Drift', 'NoDrift', 'NoDrift')), { verdict: 'NoDrift', drifted: false, driftedShare: 1 / 3 });
    assert.deepEqual(datasetDrift(f('Drift', 'NoDrift', 'NoDrift'), 0.3).verdict, 'Drifted');
  });
  it('leaves features with too little data out of the share', () => {
    assert.deepEqual(datasetDrift(f('Drift', 'InsufficientData', 'InsufficientData')), { verdict: 'Drifted', drifted: true, driftedShare: 1 });
  });
  it('with no feature judged, the dataset verdict is InsufficientData', () => {
    assert.deepEqual(datasetDrift(f('InsufficientData')), { verdict: 'InsufficientData', drifted: false, driftedShare: 0 });
    assert.deepEqual(datasetDrift([]), { verdict: 'InsufficientData', drifted: false, driftedShare: 0 });
  });
});

// Seattle weather: reference = March-August; live = December-February (the seasons drift), or a
// held-out random half of the same months (numpy default_rng(8), indices in the fixture).
const data = seattleWeather();
const pick = (values: Float64Array, rows: number[]) => sortedSample(rows.map((r) => values[r]!));

function exactInputs(sc: Scenario): [string, FeatureInput][] {
  return [
    ...NUMERIC_FEATURES.map((f): [string, FeatureInput] => [f, { kind: 'numericSamples', reference: pick(data.numeric[f]!, sc.referenceRows), live: pick(data.numeric[f]!, sc.liveRows) }]),
    ['weather', { kind: 'categorical', reference: countCategories(sc.referenceRows.map((r) => data.weather[r])), live: countCategories(sc.liveRows.map((r) => data.weather[r])) }],
  ];
}

/** What the controller will have: the profile of the reference rows, and the server's le-buckets of the live rows. */
function binnedInputs(sc: Scenario): [string, FeatureInput][] {
  return [
    ...NUMERIC_FEATURES.map((f): [string, FeatureInput] => {
      const ref = pick(data.numeric[f]!, sc.referenceRows);
      const live = pick(data.numeric[f]!, sc.liveRows);
      const { edges } = sc.numeric[f]!;
      const counts = new Array<number>(edges.length - 1).fill(0);
      for (const v of ref) counts[binOf(v, edges)]!++;
      let le = 0;
      const buckets = edges.map((e) => {
        while (le < live.length && live[le]! <= e) le++;
        return { le: e, count: le };
      });
      buckets.push({ le: Infinity, count: live.length });
      return [f, { kind: 'numericBinned', edges, reference: counts, live: liveCountsFromBuckets(edges, buckets), referenceStd: sc.numeric[f]!.referenceStdSample }];
    }),
    exactInputs(sc).at(-1)!,
  ];
}

describe('Seattle weather, automatic method choice', () => {
  for (const [form, inputs] of [['exact samples', exactInputs], ['binned metrics', binnedInputs]] as const) {
    it(`${form}: winter against spring/summer drifts on temp_max and temp_min, and the dataset drifts`, () => {
      const results = inputs(reference.scenarios.winter).map(([name, input]) => evaluateFeature(name, input));
      const by = Object.fromEntries(results.map((r) => [r.name, r]));
      for (const f of ['temp_max', 'temp_min']) {
        assert.equal(by[f]!.method, 'KS', f); // 736 reference rows: a test, not a distance
        assert.equal(by[f]!.verdict, 'Drift', f);
        assert.ok(by[f]!.pValue! < 1e-6, `${f} p = ${by[f]!.pValue}`);
      }
      assert.equal(by.weather!.method, 'ChiSquared');
      assert.equal(datasetDrift(results).verdict, 'Drifted');
    });
    it(`${form}: a held-out half of the same months raises no alarm on any feature`, () => {
      const results = inputs(reference.scenarios.holdout).map(([name, input]) => evaluateFeature(name, input));
      for (const r of results) {
        assert.equal(r.verdict, 'NoDrift', `${r.name}: ${r.method} p=${r.pValue} statistic=${r.statistic}`);
        assert.ok(r.pValue! > 0.05);
      }
      assert.deepEqual(datasetDrift(results), { verdict: 'NoDrift', drifted: false, driftedShare: 0 });
    });
  }
  it('exact samples: the verdicts use scipy\'s p-values (KS) and chi2_contingency\'s (weather)', () => {
    for (const [s, sc] of Object.entries(reference.scenarios)) {
      for (const [name, input] of exactInputs(sc)) {
        const r = evaluateFeature(name, input);
        const expected = name === 'weather' ? sc.weather.chiSquared.pValue : sc.numeric[name]!.ks.pValue;
        assert.ok(Math.abs(r.pValue! - expected) <= 1e-9 * expected, `${s} ${name}: ${r.pValue} vs ${expected}`);
      }
    }
  });
  it('prediction drift is one more feature: winter weather classes drift', () => {
    const [, weather] = exactInputs(reference.scenarios.winter).at(-1)!;
    const prediction = evaluateFeature('prediction', weather);
    assert.equal(prediction.verdict, 'Drift');
    assert.equal(datasetDrift([{ verdict: 'NoDrift' }, prediction]).verdict, 'Drifted');
  });
  it('per-feature overrides: Wasserstein and PSI on temp_max with their own thresholds', () => {
    const [, input] = exactInputs(reference.scenarios.holdout).find(([n]) => n === 'temp_max')!;
    const w = evaluateFeature('temp_max', input, { method: 'Wasserstein' });
    assert.equal(w.method, 'Wasserstein');
    assert.equal(w.threshold, 0.1);
    assert.ok(Math.abs(w.statistic! - reference.scenarios.holdout.numeric.temp_max!.wassersteinNormed) < 1e-12);
    assert.equal(w.verdict, 'NoDrift');
    const p = evaluateFeature('temp_max', input, { method: 'PSI', threshold: 0.25 });
    assert.equal(p.threshold, 0.25);
    assert.equal(p.verdict, 'NoDrift');
  });
  it('allStatistics gives every statistic at once, equal to scipy\'s', () => {
    for (const [s, sc] of Object.entries(reference.scenarios)) {
      for (const f of NUMERIC_FEATURES) {
        const n = sc.numeric[f]!;
        const all = allStatistics({ kind: 'numericSamples', reference: pick(data.numeric[f]!, sc.referenceRows), live: pick(data.numeric[f]!, sc.liveRows), edges: n.edges });
        const close = (a: number | undefined, b: number, what: string) => assert.ok(Math.abs(a! - b) <= 1e-9 * Math.abs(b) + 1e-300, `${s} ${f} ${what}: ${a} vs ${b}`);
        close(all.KS.statistic, n.ks.statistic, 'KS D');
        close(all.KS.pValue, n.ks.pValue, 'KS p');
        close(all.Wasserstein.statistic, n.wassersteinNormed, 'Wasserstein normed');
        close(all.PSI.statistic, n.psi, 'PSI');
        close(all.JensenShannon.statistic, n.jensenShannon, 'JS');
        close(all.ChiSquared.statistic, n.chiSquared.statistic, 'chi2');
      }
    }
  });
  it('binned and exact numeric inputs bin alike', () => {
    const sc = reference.scenarios.winter;
    const ref = pick(data.numeric.wind!, sc.referenceRows);
    assert.deepEqual(binSorted(ref, sc.numeric.wind!.edges), sc.numeric.wind!.referenceBins);
  });
});
