// The checks of a RolloutAnalysis, resolved to PromQL for one canary (and its stable) revision.
// Pure: the same spec and revisions give the same queries, so a measurement in status shows
// exactly what was asked.
//
// A revision's series are selected by the `model` and `version` labels, the only labels the
// server's contract (docs/contracts-server.md) guarantees on every series. Two revisions of
// the same ModelVersion (a new Pod template only) therefore share their series: the built-in
// latency-ratio is left out for them, as it would compare a series with itself. Custom queries can
// use {{revision}} when the Prometheus scrape config copies the Pod label
// modelops.dev/revision onto the series.
import type { AnalysisMetric, RolloutAnalysis } from '../../../api/v1alpha1/types.ts';
import { parseDuration } from '../../../runtime/duration.ts';

/** Defaults of the schema (operator/api/v1alpha1/schema/inferenceservice.ts), for objects written before defaulting. */
export const ANALYSIS_DEFAULTS = {
  interval: '30s',
  window: '1m',
  failureLimit: 1,
  inconclusiveLimit: 3,
  noData: 'Inconclusive',
  maxErrorRate: 0.01,
  maxLatencyP99Ms: 500,
  maxLatencyRatio: 1.5,
  latencyRatioFloorMs: 10,
} as const;

export const REQUESTS = 'modelops_inference_requests_total';
export const DURATION_BUCKETS = 'modelops_inference_request_duration_seconds_bucket';

/** The revision a query is about: its name and the ModelVersion's model name and version. */
export interface RevisionTarget {
  name: string;
  model: string;
  version: string;
}

/** Where the revisions live: the InferenceService's namespace and name, for the placeholders. */
export interface AnalysisScope {
  namespace: string;
  service: string;
}

/** Limits one measurement is judged by; each is checked when set. */
export interface Bounds {
  /** value >= min */
  min?: number;
  /** value <= max */
  max?: number;
  /** value / stableValue <= maxRatio */
  maxRatio?: number;
  /** For maxRatio: values below this count as this (both sides), so noise at small values does not decide. */
  ratioFloor?: number;
  /** value - stableValue <= maxDifference */
  maxDifference?: number;
}

/** One check, ready to query: for the canary, and for the stable revision when compared. */
export interface Check {
  /** error-rate, latency-p99, latency-ratio or the custom metric's name. */
  metric: string;
  /** The canary's query; undefined with `problem`. */
  query?: string;
  /** The same query for the stable revision; set when bounds compare. */
  stableQuery?: string;
  bounds: Bounds;
  /** Why the check cannot be queried (e.g. an unknown placeholder): it measures as Error. */
  problem?: string;
}

/** A PromQL range duration for a Go-style duration: whole seconds when it has them, else ms (PromQL has no fractions). */
export function promDuration(text: string): string {
  const ms = parseDuration(text);
  if (ms <= 0) throw new Error(`window "${text}" must be longer than 0`);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** A PromQL string literal. */
export function promString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** The label matchers of a revision's series (inside the braces). */
export function revisionMatchers(rev: RevisionTarget): string {
  return `model=${promString(rev.model)},version=${promString(rev.version)}`;
}

/**
 * Fraction of the revision's inference requests answered 5xx over the window. `or vector(0)`
 * keeps a revision that never failed (no 5xx series at all) at 0 instead of no data; a
 * revision without requests stays no data (an empty vector, or 0/0 = NaN).
 */
export function errorRateQuery(rev: RevisionTarget, window: string): string {
  const m = revisionMatchers(rev);
  return `(sum(rate(${REQUESTS}{${m},code=~"5.."}[${window}])) or vector(0)) / sum(rate(${REQUESTS}{${m}}[${window}]))`;
}

/** The revision's p99 request latency over the window, in milliseconds. */
export function latencyP99Query(rev: RevisionTarget, window: string): string {
  return `1000 * histogram_quantile(0.99, sum by (le) (rate(${DURATION_BUCKETS}{${revisionMatchers(rev)}}[${window}])))`;
}

const PLACEHOLDER = /\{\{\s*([a-zA-Z]+)\s*\}\}/g;

/** A custom query with {{namespace}}, {{service}}, {{revision}}, {{model}} and {{window}} replaced; unknown names are an error. */
export function substitute(query: string, values: Record<string, string>): { query: string } | { problem: string } {
  const unknown = new Set<string>();
  const out = query.replace(PLACEHOLDER, (whole, name: string) => {
    const v = values[name];
    if (v === undefined) unknown.add(whole);
    return v ?? whole;
  });
  if (unknown.size) return { problem: `unknown placeholder ${[...unknown].join(', ')}; the query may use ${Object.keys(values).map((k) => `{{${k}}}`).join(', ')}` };
  return { query: out };
}

function placeholders(scope: AnalysisScope, rev: RevisionTarget, window: string): Record<string, string> {
  return { namespace: scope.namespace, service: scope.service, revision: rev.name, model: rev.model, window };
}

function customCheck(metric: AnalysisMetric, scope: AnalysisScope, canary: RevisionTarget, stable: RevisionTarget | undefined, window: string): Check | undefined {
  const bounds: Bounds = {};
  if (metric.min !== undefined) bounds.min = metric.min;
  if (metric.max !== undefined) bounds.max = metric.max;
  const compare = metric.compareWithStable;
  if (stable && compare) {
    if (compare.maxRatio !== undefined) bounds.maxRatio = compare.maxRatio;
    if (compare.maxDifference !== undefined) bounds.maxDifference = compare.maxDifference;
  }
  // Only a comparison and no stable revision to compare with (the first rollout): nothing to judge.
  if (Object.keys(bounds).length === 0) return undefined;
  const own = substitute(metric.query, placeholders(scope, canary, window));
  if ('problem' in own) return { metric: metric.name, bounds, problem: own.problem };
  const check: Check = { metric: metric.name, query: own.query, bounds };
  if (stable && (bounds.maxRatio !== undefined || bounds.maxDifference !== undefined)) {
    const theirs = substitute(metric.query, placeholders(scope, stable, window));
    if ('query' in theirs) check.stableQuery = theirs.query;
  }
  return check;
}

/**
 * Every check of the analysis for this canary, in a fixed order: error-rate, latency-p99,
 * latency-ratio (only with a stable revision of another ModelVersion), then the custom metrics in spec order. A
 * built-in set to its "off" value (maxErrorRate 1, maxLatencyP99Ms 0, maxLatencyRatio 0) is
 * left out.
 */
export function resolveChecks(analysis: RolloutAnalysis | undefined, scope: AnalysisScope, canary: RevisionTarget, stable?: RevisionTarget): Check[] {
  const a = analysis ?? {};
  const window = promDuration(a.window ?? ANALYSIS_DEFAULTS.window);
  const checks: Check[] = [];
  const maxErrorRate = a.maxErrorRate ?? ANALYSIS_DEFAULTS.maxErrorRate;
  if (maxErrorRate < 1) checks.push({ metric: 'error-rate', query: errorRateQuery(canary, window), bounds: { max: maxErrorRate } });
  const maxP99 = a.maxLatencyP99Ms ?? ANALYSIS_DEFAULTS.maxLatencyP99Ms;
  if (maxP99 > 0) checks.push({ metric: 'latency-p99', query: latencyP99Query(canary, window), bounds: { max: maxP99 } });
  const maxRatio = a.maxLatencyRatio ?? ANALYSIS_DEFAULTS.maxLatencyRatio;
  if (maxRatio > 0 && stable && revisionMatchers(stable) !== revisionMatchers(canary)) {
    const floor = a.latencyRatioFloorMs ?? ANALYSIS_DEFAULTS.latencyRatioFloorMs;
    const bounds: Bounds = floor > 0 ? { maxRatio, ratioFloor: floor } : { maxRatio };
    checks.push({ metric: 'latency-ratio', query: latencyP99Query(canary, window), stableQuery: latencyP99Query(stable, window), bounds });
  }
  for (const metric of a.metrics ?? []) {
    const check = customCheck(metric, scope, canary, stable, window);
    if (check) checks.push(check);
  }
  return checks;
}
