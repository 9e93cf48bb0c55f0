// One interval of rollout analysis: every check of the spec queried at one instant (canary and
// stable alike), judged, and returned as status measurements. The strategies call it when
// measurementDue() says so, store the result with appendHistory() and decide with verdict().
import type { AnalysisMeasurement, RolloutAnalysis } from '../../../api/v1alpha1/types.ts';
import type { Clock } from '../../../runtime/clock.ts';
import { parseDuration } from '../../../runtime/duration.ts';
import type { OperatorMetrics } from '../../../runtime/metrics.ts';
import { judge, verdictPolicy, type Observation } from './decide.ts';
import { PrometheusError, type PrometheusQuerier } from '../../../prometheus/client.ts';
import { ANALYSIS_DEFAULTS, resolveChecks, type AnalysisScope, type Check, type RevisionTarget } from './queries.ts';

/** The most measurements status keeps (the schema's maxItems). */
export const MAX_HISTORY = 50;

export interface AnalysisInput {
  analysis: RolloutAnalysis | undefined;
  scope: AnalysisScope;
  canary: RevisionTarget;
  /** The revision compared with; undefined: comparisons are left out. */
  stable?: RevisionTarget | undefined;
  /** The rollout step the measurements belong to. */
  step?: number | undefined;
  prometheus: PrometheusQuerier;
  clock: Clock;
  metrics?: OperatorMetrics | undefined;
}

// Custom check names are the users' own: one label value for all keeps the series bounded.
const BUILT_IN = new Set(['error-rate', 'latency-p99', 'latency-ratio']);

/** A measurement for status, with its one-line message for events and conditions (not stored). */
export interface MeasuredCheck {
  measurement: AnalysisMeasurement;
  message: string;
}

async function observe(prometheus: PrometheusQuerier, check: Check, atMs: number): Promise<Observation> {
  if (check.problem !== undefined || check.query === undefined) return { error: check.problem ?? 'no query' };
  try {
    const [own, theirs] = await Promise.all([prometheus.query(check.query, atMs), check.stableQuery !== undefined ? prometheus.query(check.stableQuery, atMs) : undefined]);
    const obs: Observation = {};
    if (own.kind === 'value') obs.value = own.value;
    else obs.noData = own.why;
    if (theirs?.kind === 'value') obs.stableValue = theirs.value;
    else if (theirs) obs.noData ??= theirs.why;
    return obs;
  } catch (err) {
    // A PrometheusError is the expected failure; anything else is a bug, and still only fails this check.
    return { error: err instanceof PrometheusError ? err.message : `unexpected: ${(err as Error).message}` };
  }
}

/** Queries and judges every check once, at the clock's now; one measurement per check, in check order. */
export async function measure(input: AnalysisInput): Promise<MeasuredCheck[]> {
  const checks = resolveChecks(input.analysis, input.scope, input.canary, input.stable);
  const now = input.clock.now();
  const time = new Date(now).toISOString();
  const { noData } = verdictPolicy(input.analysis);
  const observed = await Promise.all(checks.map((c) => observe(input.prometheus, c, now)));
  return checks.map((check, i) => {
    const obs = observed[i]!;
    const j = judge(check.bounds, obs, noData);
    const m: AnalysisMeasurement = { time, revision: input.canary.name, metric: check.metric, result: j.result };
    if (input.step !== undefined) m.step = input.step;
    if (check.query !== undefined) m.query = check.query;
    if (obs.value !== undefined && Number.isFinite(obs.value)) m.value = obs.value;
    if (obs.stableValue !== undefined && Number.isFinite(obs.stableValue)) m.stableValue = obs.stableValue;
    if (j.threshold) m.threshold = j.threshold;
    const message = `${check.metric}: ${j.message}`;
    m.message = message.length > 512 ? `${message.slice(0, 509)}...` : message;
    input.metrics?.analysisMeasurements.inc({ check: BUILT_IN.has(check.metric) ? check.metric : 'custom', result: j.result });
    return { measurement: m, message };
  });
}

/** Status history after new measurements: newest first, at most `max`. */
export function appendHistory(history: readonly AnalysisMeasurement[] | undefined, added: readonly AnalysisMeasurement[], max = MAX_HISTORY): AnalysisMeasurement[] {
  return [...[...added].reverse(), ...(history ?? [])].slice(0, max);
}

/** The measurements of one analysis: one revision, and one step when given. */
export function measurementsOf(history: readonly AnalysisMeasurement[] | undefined, revision: string, step?: number): AnalysisMeasurement[] {
  return (history ?? []).filter((m) => m.revision === revision && (step === undefined || m.step === step));
}

/**
 * Milliseconds until the next measurement of this revision (and step) is due: 0 when none was
 * taken yet or the interval has passed. The reconciler requeues after it.
 */
export function measurementDue(analysis: RolloutAnalysis | undefined, history: readonly AnalysisMeasurement[] | undefined, revision: string, step: number | undefined, nowMs: number): number {
  const interval = parseDuration(analysis?.interval ?? ANALYSIS_DEFAULTS.interval);
  const last = measurementsOf(history, revision, step).reduce((t, m) => Math.max(t, Date.parse(m.time)), -Infinity);
  if (last === -Infinity) return 0;
  return Math.max(0, last + interval - nowMs);
}
