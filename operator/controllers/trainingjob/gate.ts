// The gate: pure decisions on a run's test metrics, one result per rule, in spec order.
import type { GateResult, GateRule } from '../../api/v1alpha1/types.ts';

/** Error metrics: lower is better. Every other metric is a score: higher is better. */
export const LOWER_IS_BETTER = new Set(['rmse', 'mae', 'mse', 'loss', 'log_loss']);

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}

export function evaluateGate(rules: readonly GateRule[] | undefined, metrics: Record<string, number>, baseline: Record<string, number>): GateResult[] {
  return (rules ?? []).map((rule) => {
    const value = metrics[rule.metric];
    const words: string[] = [];
    let passed = value !== undefined && Number.isFinite(value);
    if (rule.min !== undefined) {
      words.push(`>= ${fmt(rule.min)}`);
      passed &&= value! >= rule.min;
    }
    if (rule.max !== undefined) {
      words.push(`<= ${fmt(rule.max)}`);
      passed &&= value! <= rule.max;
    }
    if (rule.beatBaselineBy !== undefined) {
      const base = baseline[rule.metric];
      const lower = LOWER_IS_BETTER.has(rule.metric);
      const by = rule.beatBaselineBy;
      if (base === undefined) {
        words.push(`beats the baseline by ${fmt(by)} (baseline not reported)`);
        passed = false;
      } else {
        const margin = lower ? base - value! : value! - base;
        words.push(`${lower ? 'below' : 'above'} baseline ${fmt(base)} by ${by === 0 ? 'more than 0' : `at least ${fmt(by)}`}`);
        passed &&= by === 0 ? margin > 0 : margin >= by;
      }
    }
    return {
      metric: rule.metric,
      ...(value !== undefined ? { value } : {}),
      rule: value === undefined ? `${words.join(' and ')} (metric not reported by the trainer)` : words.join(' and '),
      passed,
    };
  });
}

export function gatePassed(results: readonly GateResult[]): boolean {
  return results.every((r) => r.passed);
}

/** One line for status and events, e.g. "accuracy 0.62 fails >= 0.7". */
export function gateSummary(results: readonly GateResult[]): string {
  const failed = results.filter((r) => !r.passed);
  if (!failed.length) return results.length ? `passed ${results.length} gate rule${results.length > 1 ? 's' : ''}` : 'no gate';
  return failed.map((r) => `${r.metric} ${r.value === undefined ? '(missing)' : fmt(r.value)} fails ${r.rule}`).join('; ');
}
