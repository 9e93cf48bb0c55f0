import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GateRule } from '../../api/v1alpha1/types.ts';
import { evaluateGate, gatePassed, gateSummary } from './gate.ts';

const metrics = { accuracy: 0.84, rmse: 3.1, f1_macro: 0.5 };
const baseline = { accuracy: 0.44, rmse: 9.0, f1_macro: 0.12 };

describe('evaluateGate', () => {
  const cases: Array<{ name: string; rule: GateRule; passed: boolean; words: RegExp }> = [
    { name: 'a minimum that is met', rule: { metric: 'accuracy', min: 0.8 }, passed: true, words: /^>= 0\.8$/ },
    { name: 'a minimum that is missed', rule: { metric: 'accuracy', min: 0.9 }, passed: false, words: /^>= 0\.9$/ },
    { name: 'a maximum on an error metric', rule: { metric: 'rmse', max: 3.5 }, passed: true, words: /^<= 3\.5$/ },
    { name: 'a range', rule: { metric: 'accuracy', min: 0.5, max: 0.8 }, passed: false, words: /^>= 0\.5 and <= 0\.8$/ },
    { name: 'beating the baseline of a score by a margin', rule: { metric: 'accuracy', beatBaselineBy: 0.3 }, passed: true, words: /above baseline 0\.44 by at least 0\.3/ },
    { name: 'a score not far enough above the baseline', rule: { metric: 'f1_macro', beatBaselineBy: 0.5 }, passed: false, words: /above baseline 0\.12/ },
    { name: 'beating the baseline of an error metric means being lower', rule: { metric: 'rmse', beatBaselineBy: 5 }, passed: true, words: /below baseline 9 by at least 5/ },
    { name: 'beatBaselineBy 0 means strictly better', rule: { metric: 'accuracy', beatBaselineBy: 0 }, passed: true, words: /by more than 0/ },
    { name: 'a metric the trainer did not report fails', rule: { metric: 'roc_auc', min: 0.5 }, passed: false, words: /metric not reported/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const [r] = evaluateGate([c.rule], metrics, baseline);
      assert.equal(r!.passed, c.passed);
      assert.match(r!.rule, c.words);
    });
  }

  it('equal to the baseline does not beat it when the margin is 0', () => {
    const [r] = evaluateGate([{ metric: 'accuracy', beatBaselineBy: 0 }], { accuracy: 0.44 }, baseline);
    assert.equal(r!.passed, false);
  });

  it('passes with no rules, and summarises failures in one line', () => {
    assert.equal(gatePassed(evaluateGate(undefined, metrics, baseline)), true);
    const results = evaluateGate([{ metric: 'accuracy', min: 0.9 }, { metric: 'rmse', max: 5 }], metrics, baseline);
    assert.equal(gatePassed(results), false);
    assert.equal(gateSummary(results), 'accuracy 0.84 fails >= 0.9');
  });
});
