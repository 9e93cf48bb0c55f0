// Pearson's chi-squared tests on category (or bin) counts aligned over the same categories.
import { chiSquaredSurvival } from './special.ts';

export interface ChiSquaredResult {
  statistic: number;
  dof: number;
  pValue: number;
}

/**
 * The test of homogeneity on the 2 × k table (reference, live) × categories, as
 * scipy.stats.chi2_contingency(table, correction=False): expected counts from the pooled
 * totals, dof = k - 1 over the categories seen on either side. Both sides are treated as
 * samples, so a category seen only live (or only in the reference) adds a finite amount. For
 * two categories it equals Evidently's two-proportion Z-test (Z² = χ², same p-value).
 */
export function chiSquaredHomogeneity(reference: ArrayLike<number>, live: ArrayLike<number>): ChiSquaredResult {
  let n1 = 0;
  let n2 = 0;
  for (let i = 0; i < reference.length; i++) n1 += reference[i]!;
  for (let i = 0; i < live.length; i++) n2 += live[i]!;
  const n = n1 + n2;
  let statistic = 0;
  let k = 0;
  for (let i = 0; i < reference.length; i++) {
    const total = reference[i]! + live[i]!;
    if (total === 0) continue;
    k++;
    const e1 = (n1 * total) / n;
    const e2 = (n2 * total) / n;
    statistic += (reference[i]! - e1) ** 2 / e1 + (live[i]! - e2) ** 2 / e2;
  }
  const dof = Math.max(0, k - 1);
  if (dof === 0 || n1 === 0 || n2 === 0) return { statistic: 0, dof, pValue: 1 };
  return { statistic, dof, pValue: chiSquaredSurvival(statistic, dof) };
}

/**
 * Evidently's chisquare stattest: the goodness-of-fit test of the live counts against the
 * reference proportions scaled to the live total (scipy.stats.chisquare(f_obs, f_exp)), dof =
 * k - 1 over categories seen on either side. A category never seen in the reference has an
 * expected count of 0 and makes the statistic infinite (p = 0).
 */
export function chiSquaredGoodnessOfFit(reference: ArrayLike<number>, live: ArrayLike<number>): ChiSquaredResult {
  let n1 = 0;
  let n2 = 0;
  for (let i = 0; i < reference.length; i++) n1 += reference[i]!;
  for (let i = 0; i < live.length; i++) n2 += live[i]!;
  let statistic = 0;
  let k = 0;
  for (let i = 0; i < reference.length; i++) {
    if (reference[i]! + live[i]! === 0) continue;
    k++;
    const expected = (reference[i]! * n2) / n1;
    statistic += expected === 0 ? Infinity : (live[i]! - expected) ** 2 / expected;
  }
  const dof = Math.max(0, k - 1);
  if (dof === 0) return { statistic: 0, dof, pValue: 1 };
  return { statistic, dof, pValue: chiSquaredSurvival(statistic, dof) };
}
