// PromQL for the live distributions the model server exports (docs/contracts-server.md) and
// how their answers become drift inputs: cumulative `le` buckets and counts per category.
// Pure; the reconciler runs the queries.
import type { VectorSample } from '../../prometheus/client.ts';
import type { CumulativeBucket } from '../../drift/inputs.ts';

/** The series of one served ModelVersion: the server labels everything with model and version. */
export interface SeriesScope {
  model: string;
  version: string;
}

/** A label value inside double quotes: backslash, quote and newline escaped. */
export function quoteLabel(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** A range for PromQL in whole seconds (at least 1s), from the spec's window in milliseconds. */
export function promRange(ms: number): string {
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

function selector(labels: Record<string, string>): string {
  return `{${Object.entries(labels).map(([k, v]) => `${k}=${quoteLabel(v)}`).join(',')}}`;
}

/** Live counts per `le` bucket of a numeric feature over the window. */
export function numericFeatureQuery(scope: SeriesScope, feature: string, windowMs: number): string {
  return `sum by (le) (increase(modelops_feature_value_bucket${selector({ model: scope.model, version: scope.version, feature })}[${promRange(windowMs)}]))`;
}

/** Live counts per category of a categorical feature over the window. */
export function categoryFeatureQuery(scope: SeriesScope, feature: string, windowMs: number): string {
  return `sum by (category) (increase(modelops_feature_category_total${selector({ model: scope.model, version: scope.version, feature })}[${promRange(windowMs)}]))`;
}

/** Predicted classes over the window (outputs with class labels). */
export function predictionClassQuery(scope: SeriesScope, windowMs: number): string {
  return `sum by (class) (increase(modelops_prediction_class_total${selector({ model: scope.model, version: scope.version })}[${promRange(windowMs)}]))`;
}

/** Scalar predictions per `le` bucket over the window (outputs without class labels). */
export function predictionValueQuery(scope: SeriesScope, windowMs: number): string {
  return `sum by (le) (increase(modelops_prediction_value_bucket${selector({ model: scope.model, version: scope.version })}[${promRange(windowMs)}]))`;
}

/**
 * The answer of a `sum by (le)` query as cumulative buckets. increase() extrapolates to the
 * window's edges, so counts are not whole: they are rounded (the statistics' sample sizes are
 * counts of values). A series without a usable value counts 0.
 */
export function bucketsOf(samples: readonly VectorSample[]): CumulativeBucket[] {
  const out: CumulativeBucket[] = [];
  for (const s of samples) {
    const raw = s.labels.le;
    if (raw === undefined) continue;
    const le = raw === '+Inf' ? Infinity : Number(raw);
    if (Number.isNaN(le)) continue;
    out.push({ le, count: Number.isFinite(s.value) ? Math.max(0, Math.round(s.value)) : 0 });
  }
  return out.sort((a, b) => a.le - b.le);
}

/** The answer of a `sum by (<label>)` query as counts per value of that label, rounded like bucketsOf. */
export function countsOf(samples: readonly VectorSample[], label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    const key = s.labels[label];
    if (key === undefined) continue;
    out.set(key, (out.get(key) ?? 0) + (Number.isFinite(s.value) ? Math.max(0, Math.round(s.value)) : 0));
  }
  return out;
}
