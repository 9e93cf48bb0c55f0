// One drift measurement: for each watched feature, the live distribution over the window
// (binned, from Prometheus, against the reference profile's bins or categories; or exact, from
// the prediction log, against the reference version's stored rows), the verdict per feature
// (operator/drift/evaluate.ts), prediction drift when the data for it is there, and the
// dataset-level verdict. Prometheus is passed in; everything else here is pure.
import type { DriftLiveData, DriftMonitor, FeatureDrift } from '../../api/v1alpha1/types.ts';
import { DriftMethodError, datasetDrift, evaluateFeature } from '../../drift/evaluate.ts';
import type { DatasetDrift, FeatureInput } from '../../drift/evaluate.ts';
import { liveCountsFromBuckets, profileCategoryCounts, sortedSample } from '../../drift/inputs.ts';
import type { CumulativeBucket } from '../../drift/inputs.ts';
import type { PrometheusVectorQuerier } from '../../prometheus/client.ts';
import { Reasons } from '../../runtime/events.ts';
import type { Blocked, ReferenceColumn } from './reference.ts';
import { bucketsOf, categoryFeatureQuery, countsOf, numericFeatureQuery, predictionClassQuery, predictionValueQuery } from './queries.ts';
import type { SeriesScope } from './queries.ts';
import type { LogSamples } from './predictionlog.ts';
import type { ReferenceSamples } from './referencesamples.ts';

export interface Measurement {
  features: FeatureDrift[];
  prediction?: FeatureDrift;
  dataset: DatasetDrift;
  /** Why prediction drift was asked for but not measured, for the condition message. */
  predictionSkipped?: string;
  /** Where the live samples came from and how much was read (status.liveData). */
  live: DriftLiveData;
  /** Lines of the prediction log skipped as not valid records: where and why, for the Event. */
  skipped?: string;
}

/** A spec the reference cannot satisfy (a method that does not fit a feature, a feature not in the profile): not retried until the spec changes. */
export class InvalidDriftSpec extends Error {
  override readonly name = 'InvalidDriftSpec';
}

export function isCategorical(col: ReferenceColumn): boolean {
  return col.type === 'category' || col.type === 'boolean' || (!col.histogram && !!col.categories);
}

/** What to do about buckets on other edges than the reference's, for a feature. */
const OTHER_EDGES_ADVICE = '. The server bins by the profile of the Dataset version it was trained on; omit spec.reference to compare with that version';

/**
 * The statistics' input for one feature. No live series at all (no traffic in the window, or
 * nothing scraped) counts zero samples, so the verdict is InsufficientData. Live buckets on
 * other edges than the reference's mean the server bins by another profile: an error that says so,
 * ending with `otherEdgesAdvice`.
 */
export function numericInput(feature: string, col: ReferenceColumn, buckets: CumulativeBucket[], otherEdgesAdvice = OTHER_EDGES_ADVICE): FeatureInput {
  const h = col.histogram!;
  let live: number[];
  if (buckets.length === 0) live = new Array<number>(h.edges.length + 1).fill(0);
  else {
    try {
      live = liveCountsFromBuckets(h.edges, buckets);
    } catch (err) {
      const seen = buckets.filter((b) => Number.isFinite(b.le)).map((b) => b.le);
      throw new InvalidDriftSpec(
        `feature ${feature}: the server's histogram buckets (le ${seen.slice(0, 6).join(', ')}${seen.length > 6 ? ', …' : ''}) are not the reference profile's edges (${h.edges.slice(0, 6).join(', ')}${h.edges.length > 6 ? ', …' : ''}): ${(err as Error).message}${otherEdgesAdvice}`,
      );
    }
  }
  return { kind: 'numericBinned', edges: h.edges, reference: h.counts, live, referenceStd: col.std ?? 0, ...(col.distinct !== undefined ? { referenceDistinct: col.distinct } : {}) };
}

export function categoricalInput(col: ReferenceColumn, live: Map<string, number>): FeatureInput {
  return { kind: 'categorical', reference: profileCategoryCounts(col.categories ?? []), live };
}

/** The reference column a feature needs, or why it cannot be compared. */
export function referenceColumnFor(feature: string, columns: readonly ReferenceColumn[], needsBins = true): ReferenceColumn {
  const col = columns.find((c) => c.name === feature);
  if (!col) throw new InvalidDriftSpec(`feature ${feature} is not a column of the reference profile; correct spec.features or spec.reference`);
  if (needsBins && !isCategorical(col) && !col.histogram) throw new InvalidDriftSpec(`feature ${feature} (${col.type}) has no histogram in the reference profile, so there are no bins to compare; leave it out of spec.features`);
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

type Evaluate = (name: string, input: FeatureInput) => FeatureDrift;

/** The verdict of one feature under the spec's method, thresholds and minimum sample size. */
function evaluator(dm: DriftMonitor): Evaluate {
  const spec = dm.spec;
  const overrides = new Map((spec.features ?? []).map((f) => [f.name, f]));
  const base = { ...(spec.thresholds ? { thresholds: spec.thresholds } : {}), minSamples: spec.minSamples ?? undefined };
  return (name, input) => {
    const o = overrides.get(name);
    const method = o?.method ?? spec.method;
    try {
      return evaluateFeature(name, input, { ...base, ...(method ? { method } : {}), ...(o?.threshold !== undefined ? { threshold: o.threshold } : {}) });
    } catch (err) {
      if (err instanceof DriftMethodError) throw new InvalidDriftSpec(`feature ${name}: ${err.message}`);
      throw err;
    }
  };
}

/**
 * The target column when prediction drift can compare the predictions with it, else why not:
 * a categorical target (with its categories) against the predicted classes, and with
 * `numeric`, a numeric target with histogram edges against the scalar predictions, which the
 * server bins on those edges (modelops_prediction_value).
 */
function predictionTarget(dm: DriftMonitor, target: string | undefined, columns: readonly ReferenceColumn[], numeric: boolean): ReferenceColumn | string | undefined {
  if (dm.spec.predictionDrift === false) return undefined;
  const targetCol = target ? columns.find((c) => c.name === target) : undefined;
  if (!targetCol) return 'the reference Dataset has no target column';
  if (isCategorical(targetCol)) return targetCol.categories?.length ? targetCol : `the target ${target} has no categories in the reference profile`;
  if (!numeric) return `the target ${target} is numeric: prediction drift from the prediction log compares predicted classes only (source Metrics compares scalar predictions too)`;
  return targetCol.histogram ? targetCol : `the numeric target ${target} has no histogram in the reference profile, so there are no bins to compare predictions on`;
}

/** Runs the queries and evaluates. Throws PrometheusError (transport, bad answer) and InvalidDriftSpec. */
export async function measure(m: MeasureInput): Promise<Measurement> {
  const spec = m.dm.spec;
  const evaluate = evaluator(m.dm);
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

  const out: Measurement = { features, dataset: datasetDrift(features, spec.driftShare), live: { source: 'Metrics' } };
  const targetCol = predictionTarget(m.dm, m.target, m.columns, true);
  if (targetCol === undefined) return out;
  if (typeof targetCol === 'string') {
    out.predictionSkipped = targetCol;
    return out;
  }
  let prediction: FeatureDrift;
  if (isCategorical(targetCol)) {
    const live = countsOf(await m.prometheus.queryVector(predictionClassQuery(m.scope, m.windowMs), m.atMs), 'class');
    if (live.size === 0) {
      out.predictionSkipped = 'the server exports no predicted classes (modelops_prediction_class_total) for this model version';
      return out;
    }
    prediction = evaluate(m.target!, categoricalInput(targetCol, live));
  } else {
    const buckets = bucketsOf(await m.prometheus.queryVector(predictionValueQuery(m.scope, m.windowMs), m.atMs));
    if (buckets.length === 0) {
      out.predictionSkipped = 'the server exports no scalar predictions (modelops_prediction_value) for this model version';
      return out;
    }
    let input: FeatureInput;
    try {
      input = numericInput(`prediction of ${m.target}`, targetCol, buckets, "; the server bins scalar predictions on the target's edges only when the model's signature (or the profile) names the target");
    } catch (err) {
      // Not the run's failure: the features were measured. A server that was not told the
      // target (its signature names none; an image before 2026-12) bins on its default buckets.
      if (!(err instanceof InvalidDriftSpec)) throw err;
      out.predictionSkipped = err.message;
      return out;
    }
    prediction = evaluate(m.target!, input);
  }
  out.prediction = prediction;
  out.dataset = datasetDrift([...features, prediction], spec.driftShare);
  return out;
}

export interface LogMeasureInput {
  dm: DriftMonitor;
  features: readonly string[];
  /** The reference profile's columns: each feature's type and histogram edges (PSI, JS and chi-squared bin on them). */
  columns: readonly ReferenceColumn[];
  target: string | undefined;
  /** The reference version's rows. */
  reference: ReferenceSamples;
  /** The live samples from the log. */
  live: LogSamples;
  /** Features whose input is FP32: the model sees float32 values, so the reference is rounded to float32 as well. */
  float32: ReadonlySet<string>;
  /** Why there are no predicted classes in the log (no class output), when so. */
  noClasses?: string;
  liveData: DriftLiveData;
}

/**
 * Exact samples on both sides: the live values from the prediction log against the reference
 * version's stored values, sorted once each (KS and Wasserstein exact; PSI, Jensen-Shannon and
 * chi-squared on the profile's edges), categories and predicted classes as counts. Pure.
 */
export function measureFromLog(m: LogMeasureInput): Measurement {
  const spec = m.dm.spec;
  const evaluate = evaluator(m.dm);
  const features: FeatureDrift[] = [];
  for (const name of m.features) {
    const col = referenceColumnFor(name, m.columns, false);
    if (isCategorical(col)) {
      features.push(evaluate(name, { kind: 'categorical', reference: m.reference.categorical.get(name) ?? new Map(), live: m.live.categorical.get(name) ?? new Map() }));
    } else {
      let reference = m.reference.numeric.get(name) ?? new Float64Array(0);
      if (m.float32.has(name)) reference = sortedSample(reference.map(Math.fround));
      const live = sortedSample(m.live.numeric.get(name) ?? []);
      features.push(evaluate(name, { kind: 'numericSamples', reference, live, ...(col.histogram ? { edges: col.histogram.edges } : {}) }));
    }
  }
  const out: Measurement = { features, dataset: datasetDrift(features, spec.driftShare), live: m.liveData };
  const targetCol = predictionTarget(m.dm, m.target, m.columns, false);
  if (targetCol === undefined) return out;
  if (typeof targetCol === 'string') {
    out.predictionSkipped = targetCol;
    return out;
  }
  if (!m.live.predictions) {
    out.predictionSkipped = m.noClasses ?? 'the model has no output with class labels';
    return out;
  }
  const prediction = evaluate(m.target!, { kind: 'categorical', reference: m.reference.categorical.get(targetCol.name) ?? new Map(), live: m.live.predictions });
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
