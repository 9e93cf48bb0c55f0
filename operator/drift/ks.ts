// The two-sample Kolmogorov-Smirnov test: the statistic from two sorted samples (or from
// cumulative counts at shared bin edges) and its two-sided p-value as scipy.stats.ks_2samp
// computes it with method='auto'.
import { compareSorted } from './sorted.ts';
import { kolmogorovSmirnovSurvival } from './special.ts';

/** Above this many values in the larger sample, the p-value is asymptotic (scipy's MAX_AUTO_N). */
export const KS_EXACT_MAX_N = 10000;

export interface KsResult {
  /** D = sup |F_ref(x) - F_live(x)|. */
  statistic: number;
  /** Two-sided p-value of D under "same distribution". */
  pValue: number;
  /** How the p-value was computed. */
  pMethod: 'exact' | 'asymptotic';
}

/** D from two ascending samples (compareSorted's merge pass). */
export function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  return compareSorted(a, b).ksStatistic;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * P(D >= d) for equal sizes n by the reflection principle (scipy's _compute_prob_outside_square):
 * 2 Σ_{j>=1} (-1)^(j-1) C(2n, n-jh) / C(2n, n), with d = h/n.
 */
function exactEqualSizes(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
  }
  return 2 * p;
}

/**
 * P(D >= d) for sizes m, n: a uniformly random lattice path from (0,0) to (m,n) (the merge
 * order of the two samples under "same distribution") is a Markov chain, from (i,j) a step in
 * i with probability (m-i)/(m-i+n-j). Its mass is carried column by column while it stays
 * strictly inside |i/m - j/n| < d; mass that steps outside is added up. p is that sum of
 * positive terms, so tiny p-values keep their relative precision. d = h / lcm(m, n).
 */
function exactLattice(m: number, n: number, h: number): number {
  if (m < n) [m, n] = [n, m];
  const g = gcd(m, n);
  const mg = m / g;
  const ng = n / g;
  // Point (i, j) is inside when |i ng - j mg| < h: lo(i) <= j <= hi(i).
  const right = (i: number, j: number) => (m - i) / (m - i + n - j);
  const mass = new Float64Array(n + 1);
  let outside = 0;
  let lo = 0;
  let hi = Math.min(n, Math.ceil(h / mg) - 1);
  mass[0] = 1;
  for (let j = 1; j <= hi; j++) mass[j] = mass[j - 1]! * (1 - right(0, j - 1));
  if (hi < n) outside += mass[hi]! * (1 - right(0, hi));
  for (let i = 1; i <= m; i++) {
    const prevLo = lo;
    const prevHi = hi;
    lo = Math.max(0, Math.floor((i * ng - h) / mg) + 1);
    hi = Math.min(n, Math.ceil((i * ng + h) / mg) - 1);
    // Steps in i from below the new window leave the band.
    for (let j = prevLo; j < Math.min(lo, prevHi + 1); j++) outside += mass[j]! * right(i - 1, j);
    if (lo > hi) return Math.min(1, outside);
    for (let j = lo; j <= hi; j++) {
      const fromLeft = j >= prevLo && j <= prevHi ? mass[j]! * right(i - 1, j) : 0;
      const fromBelow = j > lo ? mass[j - 1]! * (1 - right(i, j - 1)) : 0;
      mass[j] = fromLeft + fromBelow;
    }
    // A step in j from the top of the window leaves the band.
    if (hi < n) outside += mass[hi]! * (1 - right(i, hi));
  }
  return Math.min(1, outside);
}

/**
 * Two-sided p-value of D = d for sample sizes n1, n2, as scipy.stats.ks_2samp(method='auto'):
 * exact when the larger sample has at most 10,000 values and the lattice is small enough,
 * otherwise kstwo.sf(d, round(n1 n2 / (n1 + n2))).
 */
export function ksPValue(d: number, n1: number, n2: number, method: 'auto' | 'exact' | 'asymptotic' = 'auto'): { pValue: number; pMethod: 'exact' | 'asymptotic'; statistic: number } {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  let mode = method === 'auto' ? (Math.max(n1, n2) <= KS_EXACT_MAX_N ? 'exact' : 'asymptotic') : method;
  if (mode === 'exact' && n1 / g >= 2147483647 / (n2 / g)) mode = 'asymptotic';
  if (mode === 'exact') {
    const h = Math.round(d * lcm);
    const statistic = h / lcm;
    if (h === 0) return { pValue: 1, pMethod: 'exact', statistic };
    const p = n1 === n2 ? exactEqualSizes(n1, h) : exactLattice(n1, n2, h);
    if (p >= 0 && p <= 1) return { pValue: p, pMethod: 'exact', statistic };
  }
  const en = Math.round((n1 * n2) / (n1 + n2));
  return { pValue: Math.min(1, Math.max(0, kolmogorovSmirnovSurvival(en, d))), pMethod: 'asymptotic', statistic: d };
}

/** The two-sample KS test on two ascending samples (scipy.stats.ks_2samp, two-sided, method='auto'). */
export function ksTestSorted(a: Float64Array, b: Float64Array, d = ksStatisticSorted(a, b)): KsResult {
  return ksPValue(d, a.length, b.length);
}

/**
 * The KS test from counts over shared bins: D is the largest CDF difference at the bin edges
 * (the only points where both CDFs are known), never more than the exact D, and less by at
 * most the largest single-bin mass of either sample. The p-value uses the true sample sizes.
 */
export function ksTestBinned(reference: ArrayLike<number>, live: ArrayLike<number>): KsResult {
  let n1 = 0;
  let n2 = 0;
  for (let i = 0; i < reference.length; i++) n1 += reference[i]!;
  for (let i = 0; i < live.length; i++) n2 += live[i]!;
  let a = 0;
  let b = 0;
  let best = 0;
  for (let i = 0; i < reference.length; i++) {
    a += reference[i]!;
    b += live[i]!;
    const diff = Math.abs(a * n2 - b * n1);
    if (diff > best) best = diff;
  }
  return ksPValue(best / n1 / n2, n1, n2);
}
