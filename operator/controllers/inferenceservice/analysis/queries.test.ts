import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { promDuration, resolveChecks, substitute, type RevisionTarget } from './queries.ts';

const scope = { namespace: 'prod', service: 'weather' };
const canary: RevisionTarget = { name: 'weather-bbbbbbbbbb', model: 'weather', version: '4' };
const stable: RevisionTarget = { name: 'weather-aaaaaaaaaa', model: 'weather', version: '3' };

describe('resolveChecks', () => {
  it('resolves the built-in checks with the schema defaults', () => {
    const checks = resolveChecks(undefined, scope, canary, stable);
    assert.deepEqual(
      checks.map((c) => [c.metric, c.bounds]),
      [
        ['error-rate', { max: 0.01 }],
        ['latency-p99', { max: 500 }],
        ['latency-ratio', { maxRatio: 1.5, ratioFloor: 10 }],
      ],
    );
    assert.equal(
      checks[0]!.query,
      '(sum(rate(modelops_inference_requests_total{model="weather",version="4",code=~"5.."}[60s])) or vector(0)) / sum(rate(modelops_inference_requests_total{model="weather",version="4"}[60s]))',
    );
    assert.equal(checks[1]!.query, '1000 * histogram_quantile(0.99, sum by (le) (rate(modelops_inference_request_duration_seconds_bucket{model="weather",version="4"}[60s])))');
    assert.equal(checks[2]!.stableQuery, '1000 * histogram_quantile(0.99, sum by (le) (rate(modelops_inference_request_duration_seconds_bucket{model="weather",version="3"}[60s])))');
  });

  it('latencyRatioFloorMs 0 compares the raw p99s', () => {
    const ratio = resolveChecks({ latencyRatioFloorMs: 0, maxLatencyRatio: 2 }, scope, canary, stable).find((c) => c.metric === 'latency-ratio');
    assert.deepEqual(ratio?.bounds, { maxRatio: 2 });
  });

  const cases: { name: string; analysis: Parameters<typeof resolveChecks>[0]; stable?: RevisionTarget; metrics: string[] }[] = [
    { name: 'maxErrorRate 1 turns the error-rate check off', analysis: { maxErrorRate: 1 }, stable, metrics: ['latency-p99', 'latency-ratio'] },
    { name: 'maxLatencyP99Ms 0 turns the latency check off', analysis: { maxLatencyP99Ms: 0 }, stable, metrics: ['error-rate', 'latency-ratio'] },
    { name: 'maxLatencyRatio 0 turns the ratio check off', analysis: { maxLatencyRatio: 0 }, stable, metrics: ['error-rate', 'latency-p99'] },
    { name: 'without a stable revision there is no ratio check', analysis: {}, metrics: ['error-rate', 'latency-p99'] },
    { name: 'a stable revision of the same ModelVersion is not compared with itself', analysis: {}, stable: { ...stable, version: '4' }, metrics: ['error-rate', 'latency-p99'] },
    {
      name: 'a comparison-only custom metric is left out without a stable revision',
      analysis: { maxErrorRate: 1, maxLatencyP99Ms: 0, metrics: [{ name: 'acc', query: 'x', compareWithStable: { maxRatio: 1 } }, { name: 'ok', query: 'y', max: 1 }] },
      metrics: ['ok'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(
        resolveChecks(c.analysis, scope, canary, c.stable).map((x) => x.metric),
        c.metrics,
      );
    });
  }

  it('replaces the placeholders of a custom query for canary and stable', () => {
    const [check] = resolveChecks(
      { maxErrorRate: 1, maxLatencyP99Ms: 0, maxLatencyRatio: 0, window: '5m', metrics: [{ name: 'drop', query: 'sum(rate(x{namespace="{{namespace}}",svc="{{service}}",revision="{{revision}}",model="{{ model }}"}[{{window}}]))', max: 2, compareWithStable: { maxDifference: 0.1 } }] },
      scope,
      canary,
      stable,
    );
    assert.equal(check!.query, 'sum(rate(x{namespace="prod",svc="weather",revision="weather-bbbbbbbbbb",model="weather"}[300s]))');
    assert.equal(check!.stableQuery, 'sum(rate(x{namespace="prod",svc="weather",revision="weather-aaaaaaaaaa",model="weather"}[300s]))');
    assert.deepEqual(check!.bounds, { max: 2, maxDifference: 0.1 });
  });

  it('reports an unknown placeholder as the check\'s problem instead of sending it to Prometheus', () => {
    const [check] = resolveChecks({ maxErrorRate: 1, maxLatencyP99Ms: 0, metrics: [{ name: 'v', query: 'up{version="{{version}}"}', max: 1 }] }, scope, canary);
    assert.equal(check!.query, undefined);
    assert.match(check!.problem!, /unknown placeholder \{\{version\}\}; the query may use \{\{namespace\}\}/);
  });

  it('escapes label values as PromQL strings', () => {
    const [check] = resolveChecks({ maxLatencyP99Ms: 0 }, scope, { name: 'r', model: 'a"b\\c', version: '1' });
    assert.match(check!.query!, /model="a\\"b\\\\c"/);
  });
});

describe('promDuration', () => {
  const cases: [string, string][] = [
    ['1m', '60s'],
    ['1h30m', '5400s'],
    ['1.5m', '90s'],
    ['250ms', '250ms'],
  ];
  for (const [go, prom] of cases) it(`writes ${go} as ${prom}`, () => assert.equal(promDuration(go), prom));
  it('refuses a zero window', () => assert.throws(() => promDuration('0s'), /longer than 0/));
});

describe('substitute', () => {
  it('leaves text without placeholders alone', () => assert.deepEqual(substitute('sum(up)', {}), { query: 'sum(up)' }));
});
