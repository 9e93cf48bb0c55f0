import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { DriftMonitor } from '../../api/v1alpha1/types.ts';
import type { Measurement } from './measure.ts';
import { driftAlerts, postAlerts, WebhookError } from './webhook.ts';

const dm: DriftMonitor = { apiVersion: 'modelops.dev/v1alpha1', kind: 'DriftMonitor', metadata: { name: 'weather-drift', namespace: 'prod' }, spec: { targetRef: { name: 'weather' }, schedule: '@hourly' } };
const m: Measurement = {
  live: { source: 'Metrics' },
  features: [
    { name: 'temp_max', method: 'Wasserstein', statistic: 1.7, threshold: 0.1, samples: 361, verdict: 'Drift' },
    { name: 'wind', method: 'Wasserstein', statistic: 0.05, threshold: 0.1, samples: 361, verdict: 'NoDrift' },
  ],
  dataset: { verdict: 'Drifted', drifted: true, driftedShare: 0.5 },
};
const ctx = { model: 'weather', modelVersion: 'weather-v3', reference: { name: 'seattle', version: 'abc123' }, runTime: new Date('2026-12-01T12:00:00Z'), next: new Date('2026-12-01T13:00:00Z') };

describe('driftAlerts', () => {
  it('is one Alertmanager alert with identifying labels, a readable summary and the run\'s time', () => {
    const [a, ...rest] = driftAlerts(dm, m, ctx);
    assert.equal(rest.length, 0);
    assert.deepEqual(a!.labels, { alertname: 'ModelDriftDetected', severity: 'warning', namespace: 'prod', driftmonitor: 'weather-drift', inferenceservice: 'weather', model: 'weather', modelversion: 'weather-v3' });
    assert.equal(a!.startsAt, '2026-12-01T12:00:00.000Z');
    assert.equal(a!.endsAt, '2026-12-01T13:00:00.000Z');
    assert.equal(a!.annotations.drifted_features, 'temp_max');
    assert.match(a!.annotations.summary!, /1 feature drifted/);
    assert.match(a!.annotations.description!, /temp_max \(Wasserstein 1\.70, threshold 0\.1\).*Dataset seattle version abc123/);
  });
});

async function receiver(status: number): Promise<{ url: string; got: { headers: IncomingHttpHeaders; body: string }[]; close: () => void }> {
  const got: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.statusCode = status;
      res.end(status >= 300 ? 'nope' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/alerts`, got, close: () => server.close() };
}

describe('postAlerts', () => {
  it('POSTs the alerts as JSON with the Authorization header', async () => {
    const r = await receiver(200);
    try {
      await postAlerts(r.url, driftAlerts(dm, m, ctx), { authorization: 'Bearer s3cret' });
      assert.equal(r.got.length, 1);
      assert.equal(r.got[0]!.headers.authorization, 'Bearer s3cret');
      assert.equal(r.got[0]!.headers['content-type'], 'application/json');
      assert.equal((JSON.parse(r.got[0]!.body) as unknown[]).length, 1);
    } finally {
      r.close();
    }
  });
  it('reports a non-2xx answer with its status and body', async () => {
    const r = await receiver(503);
    try {
      await assert.rejects(postAlerts(r.url, []), (err: unknown) => err instanceof WebhookError && /HTTP 503: nope/.test(err.message));
    } finally {
      r.close();
    }
  });
});
