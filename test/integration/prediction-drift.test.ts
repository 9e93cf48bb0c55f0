// Prediction drift of a numeric target, on real parts: the model server (runtime-images/server)
// serves the regressor fixture (temp_max from three weather features) with a reference profile
// in the Dataset ingest's form, which names no target; the model's signature names it, so the
// server bins every scalar prediction on that column's edges (modelops_prediction_value); a
// real Prometheus scrapes it; the DriftMonitor's measurement
// (source Metrics, operator/controllers/driftmonitor/measure.ts) queries Prometheus and compares
// the predictions with the target's reference counts. Two versions are served side by side:
// `calm` gets the reference rows again (no drift), `hot` the same rows 8 degrees warmer (its
// predictions move up two bins: drift). No cluster is needed.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DriftMonitor } from '../../operator/api/v1alpha1/types.ts';
import { measure, type Measurement } from '../../operator/controllers/driftmonitor/measure.ts';
import type { ReferenceColumn } from '../../operator/controllers/driftmonitor/reference.ts';
import { PrometheusClient } from '../../operator/prometheus/client.ts';
import { REPO_ROOT } from '../support/control-plane.ts';
import { freePort, startPrometheus, type PrometheusServer } from '../support/prometheus.ts';
import { waitFor } from '../support/wait.ts';

const FIXTURE = join(REPO_ROOT, 'runtime-images/server/test/fixtures/models/regressor');
const EDGES: number[] = JSON.parse(readFileSync(join(FIXTURE, 'profile.json'), 'utf8')).columns.find((c: { name: string }) => c.name === 'temp_max').histogram.edges;
const ROWS = 600;

/** The fixture's own formula (make_models.py regressor), in float64: the reference target is what it predicts. */
const predict = ([precipitation, tempMin, wind]: number[]) => -0.3 * precipitation! + tempMin! - 0.2 * wind! + 8.5;

/** ROWS reference rows [precipitation, temp_min, wind] from a fixed linear congruential sequence. */
function referenceRows(): number[][] {
  let seed = 12345;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: ROWS }, () => [3 * next(), 12 * next(), 1 + 4 * next()]);
}

/** The target's reference column as a Dataset profile holds it: counts per bin [e_i, e_i+1), std. */
function targetColumn(values: number[]): ReferenceColumn {
  const counts = new Array<number>(EDGES.length - 1).fill(0);
  for (const v of values) {
    const i = EDGES.findIndex((e, k) => k < EDGES.length - 1 && v >= e && v < EDGES[k + 1]!);
    assert.ok(i >= 0, `reference value ${v} outside the profile's edges`);
    counts[i]!++;
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { name: 'temp_max', type: 'number', std, distinct: values.length, histogram: { edges: EDGES, counts } };
}

interface Served {
  child: ChildProcess;
  port: number;
  log: string;
}

async function serve(version: string, dir: string): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(REPO_ROOT, 'runtime-images/server/src/main.ts')], {
    cwd: join(REPO_ROOT, 'runtime-images/server'),
    env: {
      PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', MODEL_CACHE_DIR: dir, TMPDIR: dir,
      MODEL_URI: `file://${join(FIXTURE, 'model.onnx')}`, MODEL_NAME: 'temps', MODEL_VERSION: version,
      REFERENCE_PROFILE: `file://${join(FIXTURE, 'profile.json')}`, SHUTDOWN_DRAIN_DELAY_MS: '0',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const s: Served = { child, port, log: '' };
  child.stderr!.on('data', (b: Buffer) => (s.log = (s.log + b.toString()).slice(-4000)));
  await waitFor(`server ${version} ready`, async () => (await fetch(`http://127.0.0.1:${port}/v2/health/ready`).catch(() => undefined))?.status === 200, 60_000, 200);
  return s;
}

/** Sends the rows, 50 per V2 request. */
async function send(s: Served, rows: number[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += 50) {
    const chunk = rows.slice(i, i + 50);
    const r = await fetch(`http://127.0.0.1:${s.port}/v2/models/temps/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [chunk.length, 3], data: chunk.flat() }] }),
    });
    assert.equal(r.status, 200, await r.text());
  }
}

describe('prediction drift of a numeric target: real server, real Prometheus, the operator\'s measurement', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelops-prediction-drift-'));
  const servers: Served[] = [];
  let prom: PrometheusServer;
  let client: PrometheusClient;
  const rows = referenceRows();
  const target = targetColumn(rows.map(predict));
  const dm = { apiVersion: 'modelops.dev/v1alpha1', kind: 'DriftMonitor', metadata: { name: 'temps', namespace: 'ml' }, spec: { targetRef: { name: 'temps' }, schedule: '@hourly' } } as unknown as DriftMonitor;
  const run = (version: string): Promise<Measurement> =>
    measure({ dm, scope: { model: 'temps', version }, features: [], columns: [target], target: 'temp_max', windowMs: 60_000, prometheus: client, atMs: Date.now() });

  before(async () => {
    for (const version of ['calm', 'hot']) servers.push(await serve(version, dir));
    prom = await startPrometheus(servers.map((s) => ({ address: `127.0.0.1:${s.port}` })));
    client = new PrometheusClient({ url: prom.url });
    // The buckets exist at 0 before any traffic: wait for two scrapes of them, so increase() sees every prediction.
    for (const version of ['calm', 'hot']) {
      await waitFor(`two scrapes of ${version}'s prediction buckets`, async () => {
        const r = await client.queryVector(`count_over_time(modelops_prediction_value_bucket{model="temps",version="${version}",le="+Inf"}[1m])`, Date.now());
        return (r[0]?.value ?? 0) >= 2;
      }, 30_000, 250);
    }
    await send(servers[0]!, rows);
    await send(servers[1]!, rows.map(([p, t, w]) => [p!, t! + 8, w!]));
  });

  after(async () => {
    for (const s of servers) s.child.kill('SIGTERM');
    await prom?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The measurement once Prometheus has scraped (about) every prediction. */
  const measured = (version: string) =>
    waitFor(`${version}'s ${ROWS} predictions in Prometheus`, async () => {
      const m = await run(version);
      return (m.prediction?.samples ?? 0) >= ROWS ? m : undefined;
    }, 30_000, 500);

  it('finds no drift when the predictions fall in the target\'s bins as the reference did', async (t) => {
    const m = await measured('calm');
    t.diagnostic(`calm: ${JSON.stringify(m.prediction)}; reference counts ${JSON.stringify(target.histogram!.counts)}`);
    assert.equal(m.predictionSkipped, undefined);
    assert.equal(m.prediction!.name, 'temp_max');
    assert.equal(m.prediction!.verdict, 'NoDrift');
  });

  it('finds drift when the same rows come 8 degrees warmer, and counts it in the dataset verdict', async (t) => {
    const m = await measured('hot');
    t.diagnostic(`hot: ${JSON.stringify(m.prediction)}`);
    assert.equal(m.prediction!.verdict, 'Drift');
    assert.equal(m.dataset.drifted, true);
  });
});
