// One drift measurement: for each watched feature, the live distribution over the window from
// Prometheus against the reference profile's bins or categories, the verdict per feature
// (operator/drift/evaluate.ts), prediction drift when the data for it is there, and the
// dataset-level verdict. Prometheus is passed in; everything else here is pure.
import type { DriftMonitor, FeatureDrift } from '../../api/v1alpha1/types.ts';
import { DriftMethodError, datasetDrift, evaluateFeature } from '../../drift/evaluate.ts';
import type { DatasetDrift, FeatureInput } from '../../drift/evaluate.ts';
import { liveCountsFromBuckets, profileCategoryCounts } from '../../drift/inputs.ts';
import type { CumulativeBucket } from '../../drift/inputs.ts';
import type { PrometheusVectorQuerier } from '../../prometheus/client.ts';
import { Reasons } from '../../runtime/events.ts';
import type { Blocked, ReferenceColumn } from './reference.ts';
import { bucketsOf, categoryFeatureQuery, countsOf, numericFeatureQuery, predictionClassQuery } from './queries.ts';
import type { SeriesScope } from './queries.ts';

export interface Measurement {
  features: FeatureDrift[];
  prediction?: FeatureDrift;
  dataset: DatasetDrift;
  /** Why prediction drift was asked for but not measured, for the condition message. */
  predictionSkipped?: string;
}

/** A spec the reference cannot satisfy (a method that does not fit a feature, a feature not in the profile): not retried until the spec changes. */
export class InvalidDriftSpec extends Error {
  override readonly name = 'InvalidDriftSpec';
}

export function isCategorical(col: ReferenceColumn): boolean {
  return col.type === 'category' || col.type === 'boolean' || (!col.histogram && !!col.categories);
}

/**
 * The statistics' input for one feature. No live series at all (no traffic in the window, or
 * nothing scraped) counts zero samples, so the verdict is InsufficientData. Live buckets on
 * other edges than the reference's mean the server bins by another profile: an error that says so.
 */
export function numericInput(feature: string, col: ReferenceColumn, buckets: CumulativeBucket[]): FeatureInput {
  const h = col.histogram!;
  let live: number[];
  if (buckets.length === 0) live = new Array<number>(h.edges.length + 1).fill(0);
  else {
    try {
      live = liveCountsFromBuckets(h.edges, buckets);
    } catch (err) {
      const seen = buckets.filter((b) => Number.isFinite(b.le)).map((b) => b.le);
      throw new InvalidDriftSpec(
        `feature ${feature}: the server's histogram buckets (le ${seen.slice(0, 6).join(', ')}${seen.length > 6 ? ', …' : ''}) are not the reference profile's edges (${h.edges.slice(0, 6).join(', ')}${h.edges.length > 6 ? ', …' : ''}): ${(err as Error).message}. The server bins by the profile of the Dataset version it was trained on; omit spec.reference to compare with that version`,
      );
    }
  }
  return { kind: 'numericBinned', edges: h.edges, reference: h.counts, live, referenceStd: col.std ?? 0, ...(col.distinct !== undefined ? { referenceDistinct: col.distinct } : {}) };
}

export function categoricalInput(col: ReferenceColumn, live: Map<string, number>): FeatureInput {
  return { kind: 'categorical', reference: profileCategoryCounts(col.categories ?? []), live };
}

/** The reference column a feature needs, or why it cannot be compared. */
export function referenceColumnFor(feature: string, columns: readonly ReferenceColumn[]): ReferenceColumn {
  const col = columns.find((c) => c.name === feature);
  if (!col) throw new InvalidDriftSpec(`feature ${feature} is not a column of the reference profile; correct spec.features or spec.reference`);
  if (!isCategorical(col) && !col.histogram) throw new InvalidDriftSpec(`feature ${feature} (${col.type}) has no histogram in the reference profile, so there are no bins to compare; leave it out of spec.features`);
  return col;
}

export interface MeasureInput {
  dm: DriftMonitor;
  scope: SeriesScope;
  features: readonly string[];
  columns: readonly ReferenceColumn[];
  /** The Dataset's target column, for prediction drift. */
  target: string | undefined;
  windowMs: number;
  prometheus: PrometheusVectorQuerier;
  atMs: number;
}

/** Runs the queries and evaluates. Throws PrometheusError (transport, bad answer) and InvalidDriftSpec. */
export async function measure(m: MeasureInput): Promise<Measurement> {
  const spec = m.dm.spec;
  const overrides = new Map((spec.features ?? []).map((f) => [f.name, f]));
  const base = { ...(spec.thresholds ? { thresholds: spec.thresholds } : {}), minSamples: spec.minSamples ?? undefined };
  const evaluate = (name: string, input: FeatureInput): FeatureDrift => {
    const o = overrides.get(name);
    const method = o?.method ?? spec.method;
    try {
      return evaluateFeature(name, input, { ...base, ...(method ? { method } : {}), ...(o?.threshold !== undefined ? { threshold: o.threshold } : {}) });
    } catch (err) {
      if (err instanceof DriftMethodError) throw new InvalidDriftSpec(`feature ${name}: ${err.message}`);
      throw err;
    }
  };

  const features: FeatureDrift[] = [];
  for (const name of m.features) {
    const col = referenceColumnFor(name, m.columns);
    if (isCategorical(col)) {
      const live = countsOf(await m.prometheus.queryVector(categoryFeatureQuery(m.scope, name, m.windowMs), m.atMs), 'category');
      features.push(evaluate(name, categoricalInput(col, live)));
    } else {
      const buckets = bucketsOf(await m.prometheus.queryVector(numericFeatureQuery(m.scope, name, m.windowMs), m.atMs));
      features.push(evaluate(name, numericInput(name, col, buckets)));
    }
  }

  const out: Measurement = { features, dataset: datasetDrift(features, spec.driftShare) };
  if (spec.predictionDrift === false) return out;
  // Predicted classes against the target's category counts. A numeric target is not compared:
  // the server's prediction histogram has its own buckets, not the profile's edges.
  const targetCol = m.target ? m.columns.find((c) => c.name === m.target) : undefined;
  if (!targetCol || !isCategorical(targetCol) || !targetCol.categories?.length) {
    out.predictionSkipped = m.target ? `the target ${m.target} is not categorical in the reference profile; prediction drift compares predicted classes only` : 'the reference Dataset has no target column';
    return out;
  }
  const live = countsOf(await m.prometheus.queryVector(predictionClassQuery(m.scope, m.windowMs), m.atMs), 'class');
  if (live.size === 0) {
    out.predictionSkipped = 'the server exports no predicted classes (modelops_prediction_class_total) for this model version';
    return out;
  }
  const prediction = evaluate(m.target!, categoricalInput(targetCol, live));
  out.prediction = prediction;
  out.dataset = datasetDrift([...features, prediction], spec.driftShare);
  return out;
}

/** A measurement failure as a run failure; PrometheusError and InvalidDriftSpec carry the message. */
export function blockedBy(err: unknown): Blocked | undefined {
  if (err instanceof InvalidDriftSpec) return { reason: Reasons.InvalidSpec, message: err.message };
  if (err instanceof Error && err.name === 'PrometheusError') {
    const code = (err as { code?: string }).code;
    const what = code === 'BadQuery' ? 'refused the drift query' : 'did not answer';
    return { reason: Reasons.PrometheusUnavailable, message: `Prometheus ${what}: ${err.message}. Check the operator's --prometheus-url (chart value prometheus.url) and that Prometheus scrapes the model server; the next scheduled run tries again` };
  }
  return undefined;
}
