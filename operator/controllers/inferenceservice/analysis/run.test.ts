import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisMeasurement } from '../../../api/v1alpha1/types.ts';
import { FakeClock } from '../../../runtime/clock.ts';
import { OperatorMetrics } from '../../../runtime/metrics.ts';
import { PrometheusError, type PrometheusQuerier, type QueryResult } from '../../../prometheus/client.ts';
import { appendHistory, measure, measurementDue } from './run.ts';

const scope = { namespace: 'prod', service: 'weather' };
const canary = { name: 'weather-bbbbbbbbbb', model: 'weather', version: '4' };
const stable = { name: 'weather-aaaaaaaaaa', model: 'weather', version: '3' };

/** Answers by the first rule whose pattern the query matches; records what was asked. */
function fakePrometheus(rules: [RegExp, QueryResult | Error][]): PrometheusQuerier & { asked: { q: string; at: number }[] } {
  const asked: { q: string; at: number }[] = [];
  return {
    asked,
    query(q, at) {
      asked.push({ q, at });
      const hit = rules.find(([re]) => re.test(q));
      if (!hit) return Promise.resolve({ kind: 'noData', why: 'the query returned no series' });
      return hit[1] instanceof Error ? Promise.reject(hit[1]) : Promise.resolve(hit[1]);
    },
  };
}

describe('measure', () => {
  it('measures every check at one instant and judges it', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 12));
    const prometheus = fakePrometheus([
      [/code=~"5\.\."\}.*version="4"|version="4".*code=~"5\.\."/, { kind: 'value', value: 0.2 }],
      [/histogram_quantile.*version="4"/, { kind: 'value', value: 900 }],
      [/histogram_quantile.*version="3"/, { kind: 'value', value: 100 }],
    ]);
    const metrics = new OperatorMetrics({ processMetrics: false });
    const out = await measure({ analysis: undefined, scope, canary, stable, step: 2, prometheus, clock, metrics });
    assert.deepEqual(
      out.map((o) => [o.measurement.metric, o.measurement.result, o.measurement.value, o.measurement.stableValue, o.measurement.threshold]),
      [
        ['error-rate', 'Failed', 0.2, undefined, '<= 0.01'],
        ['latency-p99', 'Failed', 900, undefined, '<= 500'],
        ['latency-ratio', 'Failed', 900, 100, '<= 1.5x stable (below 10 counted as 10)'],
      ],
    );
    assert.ok(out.every((o) => o.measurement.time === '2026-01-01T12:00:00.000Z' && o.measurement.step === 2 && o.measurement.revision === canary.name));
    assert.ok(prometheus.asked.every((a) => a.at === clock.now()), 'canary and stable are evaluated at the same instant');
    assert.match(out[2]!.message, /^latency-ratio: 900 is 9x stable's 100, above 1\.5x$/);
    const counted = (await metrics.registry.getSingleMetricAsString('modelops_analysis_measurements_total')).split('\n').filter((l) => l.startsWith('modelops_analysis_measurements_total{'));
    assert.ok(counted.includes('modelops_analysis_measurements_total{check="error-rate",result="Failed"} 1'), counted.join('\n'));
  });

  it('turns a failing query into an Error measurement and measures the other checks', async () => {
    const prometheus = fakePrometheus([
      [/bad/, new PrometheusError('BadQuery', 'Prometheus bad_data (HTTP 400): parse error', 'bad_data')],
      [/./, { kind: 'value', value: 0 }],
    ]);
    const out = await measure({ analysis: { metrics: [{ name: 'custom', query: 'bad(', max: 1 }] }, scope, canary, prometheus, clock: new FakeClock() });
    assert.deepEqual(
      out.map((o) => [o.measurement.metric, o.measurement.result]),
      [
        ['error-rate', 'Successful'],
        ['latency-p99', 'Successful'],
        ['custom', 'Error'],
      ],
    );
    assert.match(out[2]!.message, /custom: query failed: Prometheus bad_data/);
  });

  it('leaves an infinite value out of status, where JSON cannot hold it', async () => {
    const prometheus = fakePrometheus([[/./, { kind: 'value', value: Infinity }]]);
    const out = await measure({ analysis: { maxErrorRate: 1 }, scope, canary, prometheus, clock: new FakeClock() });
    assert.equal(out[0]!.measurement.result, 'Failed');
    assert.equal('value' in out[0]!.measurement, false);
  });
});

describe('history', () => {
  const at = (time: string, metric = 'error-rate', step = 0): AnalysisMeasurement => ({ time, revision: 'r', metric, step, result: 'Successful' });

  it('keeps the newest first and at most the schema\'s 50', () => {
    const old = Array.from({ length: 50 }, (_, i) => at(`2026-01-01T00:00:${String(49 - i).padStart(2, '0')}.000Z`));
    const added = [at('2026-01-01T00:01:00.000Z', 'a'), at('2026-01-01T00:01:00.000Z', 'b')];
    const h = appendHistory(old, added);
    assert.equal(h.length, 50);
    assert.deepEqual(h.slice(0, 3).map((m) => m.metric), ['b', 'a', 'error-rate']);
    assert.equal(h[49]!.time, '2026-01-01T00:00:02.000Z');
  });

  it('says a measurement is due at once, then after the interval', () => {
    const now = Date.parse('2026-01-01T00:00:10.000Z');
    assert.equal(measurementDue(undefined, [], 'r', 0, now), 0);
    assert.equal(measurementDue(undefined, [at('2026-01-01T00:00:00.000Z')], 'r', 0, now), 20_000);
    assert.equal(measurementDue({ interval: '5s' }, [at('2026-01-01T00:00:00.000Z')], 'r', 0, now), 0);
    assert.equal(measurementDue(undefined, [at('2026-01-01T00:00:00.000Z')], 'r', 1, now), 0, 'a new step starts its own analysis');
  });
});
