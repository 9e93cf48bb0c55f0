// The operator's drift gauges per monitor and feature (runtime/metrics.ts), set from the last
// run and removed when the monitor is deleted or a feature is no longer watched, so Prometheus
// does not keep stale series.
import type { FeatureDrift } from '../../api/v1alpha1/types.ts';
import type { OperatorMetrics } from '../../runtime/metrics.ts';
import type { Measurement } from './measure.ts';

/** The feature label of prediction drift. */
export const PREDICTION_FEATURE = '__prediction__';

type Series = { feature: string; method: string; pValue: boolean };

export class DriftGauges {
  readonly #m: OperatorMetrics;
  /** What each monitor (namespace/name) has exported, to remove exactly that. */
  readonly #exported = new Map<string, { namespace: string; monitor: string; series: Series[] }>();

  constructor(metrics: OperatorMetrics) {
    this.#m = metrics;
  }

  set(namespace: string, monitor: string, m: Measurement): void {
    this.remove(namespace, monitor);
    const series: Series[] = [];
    const one = (f: FeatureDrift, feature: string) => {
      const labels = { namespace, monitor, feature, method: f.method };
      if (f.statistic !== undefined) this.#m.driftStatistic.set(labels, f.statistic);
      if (f.pValue !== undefined) this.#m.driftPValue.set(labels, f.pValue);
      this.#m.driftDetected.set({ namespace, monitor, feature }, f.verdict === 'Drift' ? 1 : 0);
      series.push({ feature, method: f.method, pValue: f.pValue !== undefined });
    };
    for (const f of m.features) one(f, f.name);
    if (m.prediction) one(m.prediction, PREDICTION_FEATURE);
    this.#m.driftDatasetDrifted.set({ namespace, monitor }, m.dataset.drifted ? 1 : 0);
    this.#m.driftShare.set({ namespace, monitor }, m.dataset.driftedShare);
    this.#exported.set(`${namespace}/${monitor}`, { namespace, monitor, series });
  }

  remove(namespace: string, monitor: string): void {
    const e = this.#exported.get(`${namespace}/${monitor}`);
    if (!e) return;
    for (const s of e.series) {
      const labels = { namespace, monitor, feature: s.feature, method: s.method };
      this.#m.driftStatistic.remove(labels);
      if (s.pValue) this.#m.driftPValue.remove(labels);
      this.#m.driftDetected.remove({ namespace, monitor, feature: s.feature });
    }
    this.#m.driftDatasetDrifted.remove({ namespace, monitor });
    this.#m.driftShare.remove({ namespace, monitor });
    this.#exported.delete(`${namespace}/${monitor}`);
  }
}
