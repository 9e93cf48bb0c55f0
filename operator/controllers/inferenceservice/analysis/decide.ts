// Pure decisions of rollout analysis: one measurement against its limits, and the measurements
// so far into a verdict (Argo Rollouts semantics). Each answer carries a one-line message for
// conditions and events.
import type { AnalysisMeasurement, RolloutAnalysis } from '../../../api/v1alpha1/types.ts';
import { ANALYSIS_DEFAULTS, type Bounds } from './queries.ts';

export type MeasurementResult = AnalysisMeasurement['result'];
export type NoDataPolicy = NonNullable<RolloutAnalysis['noData']>;

/** What the queries of one check answered. */
export interface Observation {
  /** The canary's value; undefined with noData or error. */
  value?: number;
  /** The stable revision's value, when the check compares. */
  stableValue?: number;
  /** Why there is no value to judge (no series, NaN), for the message. */
  noData?: string;
  /** The query failed (bad PromQL, Prometheus unreachable): neither pass nor fail. */
  error?: string;
}

export interface Judgement {
  result: MeasurementResult;
  /** The limits in words, e.g. "<= 0.01" or "<= 1.5x stable". */
  threshold: string;
  /** One line: what was measured against what, or why nothing was. */
  message: string;
}

/** A number short enough for a message: four significant digits. */
export function fmt(n: number): string {
  return Number.isFinite(n) ? String(Number(n.toPrecision(4))) : String(n);
}

export function thresholdText(b: Bounds): string {
  const parts: string[] = [];
  if (b.min !== undefined) parts.push(`>= ${fmt(b.min)}`);
  if (b.max !== undefined) parts.push(`<= ${fmt(b.max)}`);
  if (b.maxRatio !== undefined) parts.push(`<= ${fmt(b.maxRatio)}x stable${b.ratioFloor ? ` (below ${fmt(b.ratioFloor)} counted as ${fmt(b.ratioFloor)})` : ''}`);
  if (b.maxDifference !== undefined) parts.push(`<= stable + ${fmt(b.maxDifference)}`);
  return parts.join(', ');
}

/** canary / stable, where two zeros are equal (1) and anything over a zero stable is unbounded. */
export function ratio(canary: number, stable: number): number {
  if (canary === stable) return 1;
  return canary / stable;
}

/** The first limit the value breaks, in words; undefined when it keeps them all. */
function violation(b: Bounds, value: number, stable: number | undefined): string | undefined {
  if (b.min !== undefined && !(value >= b.min)) return `${fmt(value)} is below the minimum ${fmt(b.min)}`;
  if (b.max !== undefined && !(value <= b.max)) return `${fmt(value)} is above the maximum ${fmt(b.max)}`;
  if (stable === undefined) return undefined;
  if (b.maxRatio !== undefined) {
    const floor = b.ratioFloor ?? 0;
    const r = ratio(Math.max(value, floor), Math.max(stable, floor));
    if (!(r <= b.maxRatio)) {
      const floored = floor > 0 && stable < floor ? ` (counted as ${fmt(floor)})` : '';
      return `${fmt(value)} is ${fmt(r)}x stable's ${fmt(stable)}${floored}, above ${fmt(b.maxRatio)}x`;
    }
  }
  if (b.maxDifference !== undefined && !(value - stable <= b.maxDifference)) {
    return `${fmt(value)} is ${fmt(value - stable)} above stable's ${fmt(stable)}, more than ${fmt(b.maxDifference)}`;
  }
  return undefined;
}

const NO_DATA_RESULT: Record<NoDataPolicy, MeasurementResult> = {
  Inconclusive: 'Inconclusive',
  Pause: 'Inconclusive',
  Fail: 'Failed',
  Pass: 'Successful',
};

function compares(b: Bounds): boolean {
  return b.maxRatio !== undefined || b.maxDifference !== undefined;
}

/** One measurement of a check: Successful, Failed, Inconclusive (no data) or Error. */
export function judge(bounds: Bounds, obs: Observation, noData: NoDataPolicy = ANALYSIS_DEFAULTS.noData): Judgement {
  const threshold = thresholdText(bounds);
  if (obs.error !== undefined) return { result: 'Error', threshold, message: `query failed: ${obs.error}` };
  const missing = obs.value === undefined ? 'canary' : compares(bounds) && obs.stableValue === undefined ? 'stable' : undefined;
  if (missing) {
    const result = NO_DATA_RESULT[noData];
    return { result, threshold, message: `no data for the ${missing} revision (${obs.noData ?? 'no value'}); noData ${noData} counts it ${result}` };
  }
  const broken = violation(bounds, obs.value!, obs.stableValue);
  if (broken) return { result: 'Failed', threshold, message: broken };
  const vs = obs.stableValue !== undefined ? ` (stable ${fmt(obs.stableValue)})` : '';
  return { result: 'Successful', threshold, message: `${fmt(obs.value!)}${vs} within ${threshold}` };
}

export interface VerdictPolicy {
  failureLimit: number;
  inconclusiveLimit: number;
  noData: NoDataPolicy;
}

export function verdictPolicy(analysis: RolloutAnalysis | undefined): VerdictPolicy {
  return {
    failureLimit: analysis?.failureLimit ?? ANALYSIS_DEFAULTS.failureLimit,
    inconclusiveLimit: analysis?.inconclusiveLimit ?? ANALYSIS_DEFAULTS.inconclusiveLimit,
    noData: analysis?.noData ?? ANALYSIS_DEFAULTS.noData,
  };
}

/**
 * Pending: nothing measured yet. Passing: no limit exceeded (the strategy goes on when its
 * step's time is up). Failed: roll back. Inconclusive: pause for a person.
 */
export type AnalysisPhase = 'Pending' | 'Passing' | 'Failed' | 'Inconclusive';

export interface AnalysisVerdict {
  phase: AnalysisPhase;
  reason: 'AnalysisPending' | 'AnalysisPassing' | 'AnalysisFailed' | 'AnalysisNoData' | 'AnalysisInconclusive';
  message: string;
}

type Counted = Pick<AnalysisMeasurement, 'metric' | 'result' | 'value' | 'time'>;

function worst(metric: string, ms: readonly Counted[], result: MeasurementResult | readonly MeasurementResult[]): Counted[] {
  const wanted = typeof result === 'string' ? [result] : result;
  return ms.filter((m) => m.metric === metric && wanted.includes(m.result));
}

/**
 * The verdict of one analysis (one revision at one step: the caller passes only its
 * measurements). As in Argo Rollouts, limits count per metric over the whole analysis, not
 * consecutively: a metric with more Failed measurements than failureLimit fails the analysis;
 * one with more Inconclusive (or Error) ones than inconclusiveLimit makes it Inconclusive. With
 * noData Pause, the first no-data measurement pauses. Failed wins over the others: a rollback
 * is never held up by a pause.
 */
export function verdict(measurements: readonly Counted[], policy: VerdictPolicy): AnalysisVerdict {
  if (measurements.length === 0) return { phase: 'Pending', reason: 'AnalysisPending', message: 'no measurement yet' };
  const metrics = [...new Set(measurements.map((m) => m.metric))];
  for (const metric of metrics) {
    const failed = worst(metric, measurements, 'Failed');
    if (failed.length > policy.failureLimit) {
      return { phase: 'Failed', reason: 'AnalysisFailed', message: `${metric} failed ${failed.length} times, more than failureLimit ${policy.failureLimit}` };
    }
  }
  if (policy.noData === 'Pause') {
    // Inconclusive is only ever no data (a failed query is Error), for canary or stable.
    const nodata = measurements.find((m) => m.result === 'Inconclusive');
    if (nodata) return { phase: 'Inconclusive', reason: 'AnalysisNoData', message: `${nodata.metric} had no data at ${nodata.time} and noData is Pause` };
  }
  for (const metric of metrics) {
    const unsure = worst(metric, measurements, ['Inconclusive', 'Error']);
    if (unsure.length > policy.inconclusiveLimit) {
      const errors = unsure.filter((m) => m.result === 'Error').length;
      return {
        phase: 'Inconclusive',
        reason: 'AnalysisInconclusive',
        message: `${metric} was inconclusive ${unsure.length} times${errors ? ` (${errors} query errors)` : ''}, more than inconclusiveLimit ${policy.inconclusiveLimit}`,
      };
    }
  }
  const failed = measurements.filter((m) => m.result === 'Failed').length;
  return { phase: 'Passing', reason: 'AnalysisPassing', message: `${measurements.length} measurements, ${failed} failed, within the limits` };
}
