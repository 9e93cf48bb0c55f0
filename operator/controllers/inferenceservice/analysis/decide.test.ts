import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisMeasurement } from '../../../api/v1alpha1/types.ts';
import { judge, verdict, verdictPolicy, type NoDataPolicy, type Observation } from './decide.ts';
import type { Bounds } from './queries.ts';

describe('judge', () => {
  const cases: { name: string; bounds: Bounds; obs: Observation; noData?: NoDataPolicy; result: AnalysisMeasurement['result']; threshold?: string; message?: RegExp }[] = [
    { name: 'a value under its maximum is Successful', bounds: { max: 0.01 }, obs: { value: 0.002 }, result: 'Successful', threshold: '<= 0.01', message: /0\.002 within <= 0\.01/ },
    { name: 'a value at its maximum is Successful', bounds: { max: 500 }, obs: { value: 500 }, result: 'Successful' },
    { name: 'a value over its maximum is Failed', bounds: { max: 0.01 }, obs: { value: 0.2 }, result: 'Failed', message: /0\.2 is above the maximum 0\.01/ },
    { name: 'a value under its minimum is Failed', bounds: { min: 0.9 }, obs: { value: 0.5 }, result: 'Failed', threshold: '>= 0.9', message: /below the minimum 0\.9/ },
    { name: 'an infinite latency is Failed, not Successful', bounds: { max: 500 }, obs: { value: Infinity }, result: 'Failed' },
    { name: 'a canary within maxRatio of stable is Successful', bounds: { maxRatio: 1.5 }, obs: { value: 120, stableValue: 100 }, result: 'Successful', threshold: '<= 1.5x stable', message: /\(stable 100\)/ },
    { name: 'a canary beyond maxRatio of stable is Failed', bounds: { maxRatio: 1.5 }, obs: { value: 300, stableValue: 100 }, result: 'Failed', message: /3x stable's 100, above 1\.5x/ },
    { name: 'under the ratio floor, small p99s in noise pass', bounds: { maxRatio: 1.5, ratioFloor: 10 }, obs: { value: 9.6, stableValue: 4.9 }, result: 'Successful', threshold: '<= 1.5x stable (below 10 counted as 10)' },
    { name: 'a canary far above the floor is compared with the floor', bounds: { maxRatio: 1.5, ratioFloor: 10 }, obs: { value: 16, stableValue: 4 }, result: 'Failed', message: /16 is 1\.6x stable's 4 \(counted as 10\), above 1\.5x/ },
    { name: 'above the floor the raw ratio decides', bounds: { maxRatio: 1.5, ratioFloor: 10 }, obs: { value: 31, stableValue: 20 }, result: 'Failed', message: /31 is 1\.55x stable's 20, above/ },
    { name: 'a canary and a stable both at zero have ratio 1', bounds: { maxRatio: 1.2 }, obs: { value: 0, stableValue: 0 }, result: 'Successful' },
    { name: 'a canary above a stable at zero breaks any ratio', bounds: { maxRatio: 100 }, obs: { value: 0.001, stableValue: 0 }, result: 'Failed' },
    { name: 'a canary beyond maxDifference of stable is Failed', bounds: { maxDifference: 0.05 }, obs: { value: 0.2, stableValue: 0.1 }, result: 'Failed', threshold: '<= stable + 0.05' },
    { name: 'a canary within maxDifference of stable is Successful', bounds: { maxDifference: 0.05 }, obs: { value: 0.12, stableValue: 0.1 }, result: 'Successful' },
    { name: 'max and a ratio are both checked', bounds: { max: 1, maxRatio: 2 }, obs: { value: 0.9, stableValue: 0.1 }, result: 'Failed', threshold: '<= 1, <= 2x stable' },
    { name: 'no canary data is Inconclusive by default', bounds: { max: 1 }, obs: { noData: 'the query returned no series' }, result: 'Inconclusive', message: /no data for the canary revision \(the query returned no series\)/ },
    { name: 'no canary data with noData Pause is Inconclusive', bounds: { max: 1 }, obs: { noData: 'x' }, noData: 'Pause', result: 'Inconclusive' },
    { name: 'no canary data with noData Fail is Failed', bounds: { max: 1 }, obs: { noData: 'x' }, noData: 'Fail', result: 'Failed' },
    { name: 'no canary data with noData Pass is Successful', bounds: { max: 1 }, obs: { noData: 'x' }, noData: 'Pass', result: 'Successful' },
    { name: 'no stable data for a comparison follows the noData policy', bounds: { maxRatio: 1.5 }, obs: { value: 1, noData: 'NaN' }, noData: 'Fail', result: 'Failed', message: /stable revision/ },
    { name: 'a failed query is Error whatever the noData policy', bounds: { max: 1 }, obs: { error: 'Prometheus bad_data: parse error' }, noData: 'Pass', result: 'Error', message: /query failed: Prometheus bad_data/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const j = judge(c.bounds, c.obs, c.noData);
      assert.equal(j.result, c.result, j.message);
      if (c.threshold) assert.equal(j.threshold, c.threshold);
      if (c.message) assert.match(j.message, c.message);
      assert.doesNotMatch(j.message, /\n/, 'one line');
    });
  }
});

describe('verdict', () => {
  const m = (metric: string, result: AnalysisMeasurement['result'], value: number | null = 1): Pick<AnalysisMeasurement, 'metric' | 'result' | 'value' | 'time'> => ({
    metric,
    result,
    time: '2026-01-01T00:00:00.000Z',
    ...(value === null ? {} : { value }),
  });
  const defaults = verdictPolicy(undefined);
  const cases: { name: string; ms: ReturnType<typeof m>[]; policy?: Partial<typeof defaults>; phase: string; reason?: string; message?: RegExp }[] = [
    { name: 'nothing measured yet is Pending', ms: [], phase: 'Pending' },
    { name: 'all Successful is Passing', ms: [m('error-rate', 'Successful'), m('latency-p99', 'Successful')], phase: 'Passing' },
    { name: 'failures up to failureLimit are tolerated', ms: [m('error-rate', 'Failed'), m('error-rate', 'Successful')], phase: 'Passing' },
    { name: 'one failure more than failureLimit is Failed', ms: [m('error-rate', 'Failed'), m('error-rate', 'Failed')], phase: 'Failed', reason: 'AnalysisFailed', message: /error-rate failed 2 times, more than failureLimit 1/ },
    { name: 'failures count per metric, as in Argo Rollouts', ms: [m('error-rate', 'Failed'), m('latency-p99', 'Failed')], phase: 'Passing' },
    { name: 'failureLimit 0 fails on the first failure', ms: [m('error-rate', 'Failed')], policy: { failureLimit: 0 }, phase: 'Failed' },
    { name: 'inconclusive up to inconclusiveLimit is tolerated', ms: [m('a', 'Inconclusive', null), m('a', 'Inconclusive', null), m('a', 'Inconclusive', null)], phase: 'Passing' },
    { name: 'one inconclusive more than inconclusiveLimit is Inconclusive', ms: Array.from({ length: 4 }, () => m('a', 'Inconclusive', null)), phase: 'Inconclusive', reason: 'AnalysisInconclusive' },
    { name: 'query errors count as inconclusive', ms: Array.from({ length: 4 }, () => m('custom', 'Error', null)), phase: 'Inconclusive', message: /4 query errors/ },
    { name: 'with noData Pause the first no-data measurement pauses', ms: [m('latency-p99', 'Inconclusive', null)], policy: { noData: 'Pause' }, phase: 'Inconclusive', reason: 'AnalysisNoData' },
    { name: 'with noData Pause a comparison without stable data pauses too', ms: [m('latency-ratio', 'Inconclusive', 900)], policy: { noData: 'Pause' }, phase: 'Inconclusive', reason: 'AnalysisNoData' },
    { name: 'with noData Pause a query error does not pause at once', ms: [m('latency-p99', 'Error', null)], policy: { noData: 'Pause' }, phase: 'Passing' },
    { name: 'Failed wins over a pause', ms: [m('a', 'Inconclusive', null), m('b', 'Failed'), m('b', 'Failed')], policy: { noData: 'Pause' }, phase: 'Failed' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = verdict(c.ms, { ...defaults, ...c.policy });
      assert.equal(v.phase, c.phase, v.message);
      if (c.reason) assert.equal(v.reason, c.reason);
      if (c.message) assert.match(v.message, c.message);
    });
  }

  it('takes the schema defaults when the spec leaves them out', () => {
    assert.deepEqual(verdictPolicy(undefined), { failureLimit: 1, inconclusiveLimit: 3, noData: 'Inconclusive' });
    assert.deepEqual(verdictPolicy({ failureLimit: 0, noData: 'Fail' }), { failureLimit: 0, inconclusiveLimit: 3, noData: 'Fail' });
  });
});
