// The Shadow strategy's comparison of predictions: how far the candidate's distribution of
// predicted classes (or of predicted values, binned by the server's histogram) is from the
// stable revision's over the analysis window, as the Jensen-Shannon distance (base 2: 0 for
// the same distribution, 1 for disjoint ones). With several outputs, the largest distance
// counts. Measured as one more check, `prediction-shift`, judged like the others.
import type { AnalysisMeasurement, RolloutAnalysis } from '../../../api/v1alpha1/types.ts';
import type { Clock } from '../../../runtime/clock.ts';
import { jensenShannon } from '../../../drift/divergence.ts';
import { alignCategories } from '../../../drift/inputs.ts';
import { PrometheusError, type PrometheusVectorQuerier, type VectorSample } from '../../../prometheus/client.ts';
import { judge, verdictPolicy, type Observation } from './decide.ts';
import { ANALYSIS_DEFAULTS, promDuration, revisionMatchers, type RevisionTarget } from './queries.ts';

export const PREDICTION_SHIFT = 'prediction-shift';
/**
 * Fewest predictions on each side before a distance is judged: below it, sampling noise alone
 * moves the distance past usual thresholds (about 0.1 for 5 classes and 80 predictions a side),
 * so the measurement is no data (the noData policy applies), not a failure.
 */
export const MIN_PREDICTIONS = 100;
export const CLASSES = 'modelops_prediction_class_total';
export const VALUES = 'modelops_prediction_value_bucket';

export function classQuery(rev: RevisionTarget, window: string): string {
  return `sum by (output, class) (increase(${CLASSES}{${revisionMatchers(rev)}}[${window}]))`;
}

export function valueQuery(rev: RevisionTarget, window: string): string {
  return `sum by (output, le) (increase(${VALUES}{${revisionMatchers(rev)}}[${window}]))`;
}

/** Counts per output: class → count, or histogram bin (upper edge) → count from cumulative buckets. */
export function countsByOutput(samples: readonly VectorSample[], key: 'class' | 'le'): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const s of samples) {
    const output = s.labels.output ?? '';
    const bucket = s.labels[key];
    if (bucket === undefined || !Number.isFinite(s.value)) continue;
    if (!out.has(output)) out.set(output, new Map());
    out.get(output)!.set(bucket, (out.get(output)!.get(bucket) ?? 0) + s.value);
  }
  if (key === 'le') {
    // Cumulative (<= le) to counts per bin, in edge order.
    for (const [output, cumulative] of out) {
      const edge = (le: string) => (le === '+Inf' ? Infinity : Number(le));
      const edges = [...cumulative.keys()].sort((a, b) => edge(a) - edge(b));
      const bins = new Map<string, number>();
      let below = 0;
      for (const e of edges) {
        const c = cumulative.get(e)!;
        bins.set(e, Math.max(0, c - below));
        below = Math.max(below, c);
      }
      out.set(output, bins);
    }
  }
  return out;
}

/**
 * The largest Jensen-Shannon distance over the outputs both revisions predicted in, with the
 * fewest predictions on either side; undefined when no output has predictions on both.
 */
export function largestShift(candidate: Map<string, Map<string, number>>, stable: Map<string, Map<string, number>>): { distance: number; output: string; samples: number } | undefined {
  let worst: { distance: number; output: string; samples: number } | undefined;
  for (const [output, counts] of candidate) {
    const theirs = stable.get(output);
    if (!theirs) continue;
    const aligned = alignCategories(theirs, counts);
    const total = (a: number[]) => a.reduce((s, x) => s + x, 0);
    if (total(aligned.reference) <= 0 || total(aligned.live) <= 0) continue;
    const distance = jensenShannon(aligned.reference, aligned.live);
    const samples = Math.round(Math.min(total(aligned.reference), total(aligned.live)));
    if (!worst || distance > worst.distance) worst = { distance, output, samples };
  }
  return worst;
}

export interface ShiftInput {
  analysis: RolloutAnalysis | undefined;
  /** spec.rollout.shadow.maxPredictionShift. */
  max: number;
  canary: RevisionTarget;
  stable: RevisionTarget;
  step: number;
  prometheus: PrometheusVectorQuerier;
  clock: Clock;
}

/** One `prediction-shift` measurement of the candidate against stable, at the clock's now. */
export async function measureShift(input: ShiftInput): Promise<AnalysisMeasurement> {
  const now = input.clock.now();
  const window = promDuration(input.analysis?.window ?? ANALYSIS_DEFAULTS.window);
  let obs: Observation;
  let query = classQuery(input.canary, window);
  try {
    let [mine, theirs] = await Promise.all([input.prometheus.queryVector(query, now), input.prometheus.queryVector(classQuery(input.stable, window), now)]);
    let key: 'class' | 'le' = 'class';
    if (!mine.length && !theirs.length) {
      // No class labels: outputs with values, binned by the server's histogram.
      query = valueQuery(input.canary, window);
      [mine, theirs] = await Promise.all([input.prometheus.queryVector(query, now), input.prometheus.queryVector(valueQuery(input.stable, window), now)]);
      key = 'le';
    }
    const shift = largestShift(countsByOutput(mine, key), countsByOutput(theirs, key));
    if (!shift) obs = { noData: 'no predictions of both revisions in the window' };
    else if (shift.samples < MIN_PREDICTIONS) obs = { noData: `only ${shift.samples} predictions in the window, fewer than ${MIN_PREDICTIONS}` };
    else obs = { value: shift.distance };
  } catch (err) {
    obs = { error: err instanceof PrometheusError ? err.message : `unexpected: ${(err as Error).message}` };
  }
  const j = judge({ max: input.max }, obs, verdictPolicy(input.analysis).noData);
  const m: AnalysisMeasurement = { time: new Date(now).toISOString(), revision: input.canary.name, step: input.step, metric: PREDICTION_SHIFT, query, result: j.result, threshold: j.threshold };
  if (obs.value !== undefined) m.value = obs.value;
  m.message = `${PREDICTION_SHIFT}: ${j.message} (Jensen-Shannon distance of the predictions from stable's)`.slice(0, 512);
  return m;
}
