import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OperatorMetrics } from '../../runtime/metrics.ts';
import { DriftGauges } from './gauges.ts';
import type { Measurement } from './measure.ts';

const m: Measurement = {
  live: { source: 'Metrics' },
  features: [
    { name: 'temp_max', method: 'KS', statistic: 0.72, pValue: 1e-90, threshold: 0.05, samples: 361, verdict: 'Drift' },
    { name: 'wind', method: 'Wasserstein', statistic: 0.05, threshold: 0.1, samples: 361, verdict: 'NoDrift' },
  ],
  prediction: { name: 'weather', method: 'ChiSquared', statistic: 40, pValue: 1e-8, threshold: 0.05, samples: 361, verdict: 'Drift' },
  dataset: { verdict: 'Drifted', drifted: true, driftedShare: 2 / 3 },
};

describe('DriftGauges', () => {
  it('exports the last run per feature and removes exactly its series when asked', async () => {
    const metrics = new OperatorMetrics({ processMetrics: false });
    const gauges = new DriftGauges(metrics);
    gauges.set('prod', 'a', m);
    gauges.set('prod', 'b', { ...m, features: [m.features[1]!] });
    let text = await metrics.registry.metrics();
    assert.match(text, /modelops_drift_detected\{namespace="prod",monitor="a",feature="temp_max"\} 1/);
    assert.match(text, /modelops_drift_detected\{namespace="prod",monitor="a",feature="__prediction__"\} 1/);
    assert.match(text, /modelops_drift_p_value\{namespace="prod",monitor="a",feature="temp_max",method="KS"\} 1e-90/);
    assert.match(text, /modelops_drift_statistic\{namespace="prod",monitor="a",feature="wind",method="Wasserstein"\} 0.05/);
    assert.match(text, /modelops_drift_share\{namespace="prod",monitor="a"\} 0.666/);

    gauges.remove('prod', 'a');
    text = await metrics.registry.metrics();
    assert.doesNotMatch(text, /monitor="a"/);
    assert.match(text, /modelops_drift_detected\{namespace="prod",monitor="b",feature="wind"\} 0/, 'another monitor keeps its series');
  });

  it('drops a feature no longer watched at the next run', async () => {
    const metrics = new OperatorMetrics({ processMetrics: false });
    const gauges = new DriftGauges(metrics);
    gauges.set('prod', 'a', m);
    gauges.set('prod', 'a', { ...m, features: [m.features[1]!], prediction: undefined } as Measurement);
    const text = await metrics.registry.metrics();
    assert.doesNotMatch(text, /^modelops_drift_\w+\{[^}]*feature="temp_max"/m);
    assert.doesNotMatch(text, /^modelops_drift_\w+\{[^}]*feature="__prediction__"/m);
    assert.match(text, /^modelops_drift_detected\{namespace="prod",monitor="a",feature="wind"\} 0/m);
  });
});
