// /metrics as Prometheus parses it (promtool), and the drift series the DriftMonitor reads.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { classifierEnv, inferUrl, postJson, startServer, type TestServer } from './helpers.ts';

/** Parses the text exposition into name{labels} -> value (enough for targeted assertions). */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('metrics', () => {
  let ts: TestServer;
  let text: string;
  before(async () => {
    ts = await startServer(classifierEnv());
    // Six rows: temp_max 3, 12, 12, 40 and two NaN-free rows more; months 1, 1, 2, 0 (not in the profile), 7, 7.
    const rows = [[0, 3, 1, 2, 1], [1, 12, 4, 3, 1], [0.2, 12, 5, 3, 2], [30, 40, 18, 9, 0], [4, 22, 10, 2, 7], [0, 27, 14, 5, 7]];
    const res = await postJson(inferUrl(ts), { inputs: [
      { name: 'x', datatype: 'FP32', shape: [6, 4], data: rows.map((r) => r.slice(0, 4)) },
      { name: 'month', datatype: 'INT64', shape: [6, 1], data: rows.map((r) => [r[4]]) },
    ] });
    assert.equal(res.status, 200);
    await postJson(inferUrl(ts), { inputs: [] }); // one 400
    await postJson(`${ts.url}/v1/models/weather:predict`, { instances: [{ x: [0, 12, 4, 3], month: 3 }] });
    text = await (await fetch(`${ts.url}/metrics`)).text();
  });
  after(() => ts.close());

  it('passes promtool check metrics (only prom-client default gauges named *_total are linted)', () => {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.error, undefined, 'promtool is installed (Debian package prometheus, hack/apt-packages/server.txt)');
    const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
    const ours = problems.filter((l) => !/^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/.test(l));
    assert.deepEqual(ours, [], 'no parse error and no lint finding on our metrics');
  });

  it('counts requests by model, version, protocol and status code', () => {
    const m = parse(text);
    assert.equal(m.get('modelops_inference_requests_total{model="weather",version="1",protocol="v2",code="200"}'), 1);
    assert.equal(m.get('modelops_inference_requests_total{model="weather",version="1",protocol="v2",code="400"}'), 1);
    assert.equal(m.get('modelops_inference_requests_total{model="weather",version="1",protocol="v1",code="200"}'), 1);
    assert.equal(m.get('modelops_inference_request_duration_seconds_count{model="weather",version="1",protocol="v2"}'), 2);
    assert.equal(m.get('modelops_model_ready{model="weather",version="1"}'), 1);
    assert.equal(m.get('modelops_inference_queue_depth{model="weather",version="1"}'), 0);
  });

  it('buckets numeric features by the reference profile edges', () => {
    const m = parse(text);
    const b = (le: string) => m.get(`modelops_feature_value_bucket{model="weather",version="1",feature="temp_max",le="${le}"}`);
    // temp_max values: 3, 12, 12, 40, 22, 27, 12 (v1); edges -2 5 10 15 20 25 30 36.
    assert.equal(b('-2'), 0);
    assert.equal(b('5'), 1);
    assert.equal(b('15'), 4);
    assert.equal(b('25'), 5);
    assert.equal(b('36'), 6);
    assert.equal(b('+Inf'), 7);
    assert.equal(m.get('modelops_feature_value_count{model="weather",version="1",feature="temp_max"}'), 7);
    assert.equal(m.get('modelops_feature_value_sum{model="weather",version="1",feature="temp_max"}'), 128);
  });

  it('counts categorical features per profiled category, the rest as __other__', () => {
    const m = parse(text);
    const c = (cat: string) => m.get(`modelops_feature_category_total{model="weather",version="1",feature="month",category="${cat}"}`);
    assert.equal(c('1'), 2);
    assert.equal(c('7'), 2);
    assert.equal(c('12'), 0, 'every profiled category is exported, even at zero');
    assert.equal(c('__other__'), 1);
    assert.equal([...m.keys()].filter((k) => k.startsWith('modelops_feature_category_total{')).length, 13, 'bounded: 12 months + __other__');
  });

  it('exports the distribution of predicted classes by label', () => {
    const m = parse(text);
    const classes = ['drizzle', 'fog', 'rain', 'snow', 'sun'].map((c) => m.get(`modelops_prediction_class_total{model="weather",version="1",output="label",class="${c}"}`) ?? -1);
    assert.ok(classes.every((n) => n >= 0));
    assert.equal(classes.reduce((a, b) => a + b, 0), 7);
  });

  it('exports batch sizes and worker run time', () => {
    const m = parse(text);
    assert.equal(m.get('modelops_inference_batch_size_sum{model="weather",version="1"}'), 7);
    assert.ok((m.get('modelops_inference_run_duration_seconds_count{model="weather",version="1"}') ?? 0) >= 2);
  });
});
