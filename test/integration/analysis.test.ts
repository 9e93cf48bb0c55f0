// Rollout analysis against a real Prometheus: two revisions' servers (here two small exporters
// with the server's metric names) are scraped every second; stable answers fast and well, the
// canary slowly and with 30% 5xx. The analysis must fail the canary, pass stable, apply the
// noData policy to a revision without series, and report a broken query as an Error.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { verdict, verdictPolicy } from '../../operator/controllers/inferenceservice/analysis/decide.ts';
import { PrometheusClient } from '../../operator/prometheus/client.ts';
import type { RevisionTarget } from '../../operator/controllers/inferenceservice/analysis/queries.ts';
import { measure, type MeasuredCheck } from '../../operator/controllers/inferenceservice/analysis/run.ts';
import type { RolloutAnalysis } from '../../operator/api/v1alpha1/types.ts';
import { realClock } from '../../operator/runtime/clock.ts';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.ts';
import { waitFor } from '../support/wait.ts';

const scope = { namespace: 'prod', service: 'weather' };
const stable: RevisionTarget = { name: 'weather-aaaaaaaaaa', model: 'weather', version: '3' };
const canary: RevisionTarget = { name: 'weather-bbbbbbbbbb', model: 'weather', version: '4' };
const absent: RevisionTarget = { name: 'weather-cccccccccc', model: 'weather', version: '9' };

/** A model server's metrics as docs/contracts-server.md names them, fed with synthetic traffic. */
async function fakeServer(rev: RevisionTarget, perTick: { ok: number; failed: number; seconds: number }): Promise<{ server: Server; timer: NodeJS.Timeout; address: string }> {
  const registry = new Registry();
  const requests = new Counter({ name: 'modelops_inference_requests_total', help: 'requests', labelNames: ['model', 'version', 'protocol', 'code'], registers: [registry] });
  const duration = new Histogram({
    name: 'modelops_inference_request_duration_seconds',
    help: 'latency',
    labelNames: ['model', 'version', 'protocol'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const labels = { model: rev.model, version: rev.version, protocol: 'v2' };
  const timer = setInterval(() => {
    requests.inc({ ...labels, code: '200' }, perTick.ok);
    if (perTick.failed) requests.inc({ ...labels, code: '500' }, perTick.failed);
    for (let i = 0; i < perTick.ok + perTick.failed; i++) duration.observe(labels, perTick.seconds);
  }, 100);
  const server = createServer((_req, res) => {
    void registry.metrics().then((text) => {
      res.setHeader('content-type', registry.contentType);
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, timer, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('rollout analysis against a real Prometheus', { timeout: 60_000 }, () => {
  let prom: PrometheusServer;
  let client: PrometheusClient;
  const servers: Awaited<ReturnType<typeof fakeServer>>[] = [];
  // A window of a few scrapes keeps the test short; the default (1m) works the same.
  const base: RolloutAnalysis = { window: '10s' };
  const run = (analysis: RolloutAnalysis, target: RevisionTarget, against?: RevisionTarget) =>
    measure({ analysis: { ...base, ...analysis }, scope, canary: target, stable: against, prometheus: client, clock: realClock });
  const byMetric = (out: MeasuredCheck[], metric: string) => {
    const found = out.find((o) => o.measurement.metric === metric);
    assert.ok(found, `no ${metric} measurement in ${out.map((o) => o.measurement.metric).join(', ')}`);
    return found;
  };

  before(async () => {
    servers.push(await fakeServer(stable, { ok: 10, failed: 0, seconds: 0.02 }));
    servers.push(await fakeServer(canary, { ok: 7, failed: 3, seconds: 0.8 }));
    // The revision label stands for a scrape config that copies the Pod label modelops.dev/revision.
    prom = await startPrometheus([
      { address: servers[0]!.address, labels: { revision: stable.name } },
      { address: servers[1]!.address, labels: { revision: canary.name } },
    ]);
    client = new PrometheusClient({ url: prom.url, timeoutMs: 5_000 });
    // Three scrapes of both: rates over the window have at least two samples each.
    await waitFor('three scrapes of both revisions', async () => {
      const r = await client.query('min(count_over_time(up[10s]))', Date.now());
      return r.kind === 'value' && r.value >= 3;
    }, 20_000, 250);
  });

  after(async () => {
    for (const s of servers) {
      clearInterval(s.timer);
      s.server.close();
    }
    await prom?.stop();
  });

  it('fails the canary on its error rate and passes stable', async () => {
    const bad = byMetric(await run({}, canary), 'error-rate');
    assert.equal(bad.measurement.result, 'Failed', bad.message);
    assert.ok(Math.abs(bad.measurement.value! - 0.3) < 0.02, `canary error rate ${bad.measurement.value}`);
    assert.equal(bad.measurement.threshold, '<= 0.01');
    const good = byMetric(await run({}, stable), 'error-rate');
    assert.equal(good.measurement.result, 'Successful', good.message);
    assert.equal(good.measurement.value, 0, 'a revision without any 5xx series measures 0, not no data');
  });

  it('fails the canary on its p99 latency and passes stable', async () => {
    const slow = byMetric(await run({}, canary), 'latency-p99');
    assert.equal(slow.measurement.result, 'Failed', slow.message);
    assert.ok(slow.measurement.value! > 500 && slow.measurement.value! <= 1000, `canary p99 ${slow.measurement.value} ms`);
    const fast = byMetric(await run({}, stable), 'latency-p99');
    assert.equal(fast.measurement.result, 'Successful', fast.message);
    assert.ok(fast.measurement.value! < 25, `stable p99 ${fast.measurement.value} ms`);
  });

  it('fails the canary against stable by ratio and by difference', async () => {
    const out = await run(
      {
        maxLatencyP99Ms: 0,
        metrics: [
          {
            name: 'errors-vs-stable',
            query: '(sum(rate(modelops_inference_requests_total{revision="{{revision}}",code=~"5.."}[{{window}}])) or vector(0)) / sum(rate(modelops_inference_requests_total{revision="{{revision}}"}[{{window}}]))',
            compareWithStable: { maxDifference: 0.05 },
          },
        ],
      },
      canary,
      stable,
    );
    const ratio = byMetric(out, 'latency-ratio');
    assert.equal(ratio.measurement.result, 'Failed', ratio.message);
    assert.ok(ratio.measurement.value! / ratio.measurement.stableValue! > 1.5);
    assert.match(ratio.message, /x stable's .*, above 1\.5x/);
    const diff = byMetric(out, 'errors-vs-stable');
    assert.equal(diff.measurement.result, 'Failed', diff.message);
    assert.equal(diff.measurement.stableValue, 0);
    assert.match(diff.measurement.query!, /revision="weather-bbbbbbbbbb"/);
  });

  it('applies the noData policy to a revision without series', async () => {
    const inconclusive = await run({}, absent);
    assert.deepEqual(inconclusive.map((o) => o.measurement.result), ['Inconclusive', 'Inconclusive']);
    assert.equal(inconclusive[0]!.measurement.value, undefined);
    assert.match(inconclusive[0]!.message, /no data for the canary revision \(the query returned no series\)/);
    const failed = await run({ noData: 'Fail' }, absent);
    assert.deepEqual(failed.map((o) => o.measurement.result), ['Failed', 'Failed']);
    const paused = verdict(inconclusive.map((o) => o.measurement), verdictPolicy({ noData: 'Pause' }));
    assert.equal(paused.reason, 'AnalysisNoData');
  });

  it('reports a PromQL syntax error as an Error measurement and still measures the rest', async () => {
    const out = await run({ metrics: [{ name: 'broken', query: 'sum(rate(modelops_inference_requests_total[{{window}}]', max: 1 }] }, stable);
    const broken = byMetric(out, 'broken');
    assert.equal(broken.measurement.result, 'Error');
    assert.match(broken.message, /Prometheus bad_data \(HTTP 400\): .*parse error/);
    assert.equal(byMetric(out, 'error-rate').measurement.result, 'Successful');
  });

  it('fails the analysis once the canary fails more often than failureLimit', async () => {
    const first = await run({ failureLimit: 1 }, canary, stable);
    const second = await run({ failureLimit: 1 }, canary, stable);
    const v = verdict([...second, ...first].map((o) => o.measurement), verdictPolicy({ failureLimit: 1 }));
    assert.equal(v.phase, 'Failed');
    assert.match(v.message, /error-rate failed 2 times, more than failureLimit 1/);
  });
});
