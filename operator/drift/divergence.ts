// Distances between two binned or categorical distributions given as counts over the same
// bins: the population stability index (PSI) and the Jensen-Shannon distance.

/**
 * Evidently's floor for empty bins (`get_binned_data`, feel_zeroes): in each distribution, a zero
 * proportion becomes 0.0001, or a millionth of the smallest non-zero proportion when that is at
 * most 0.0001. The distribution is not renormalised afterwards, as in Evidently.
 */
export function emptyBinEpsilon(proportions: ArrayLike<number>): number {
  let min = Infinity;
  for (let i = 0; i < proportions.length; i++) if (proportions[i]! > 0 && proportions[i]! < min) min = proportions[i]!;
  return min <= 0.0001 ? min / 1e6 : 0.0001;
}

function proportions(counts: ArrayLike<number>): Float64Array {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  const p = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) p[i] = counts[i]! / total;
  return p;
}

/**
 * PSI = Σ (r_i - l_i) ln(r_i / l_i) over the bins, r and l the reference and live proportions
 * with empty bins floored by emptyBinEpsilon (Evidently's psi stattest). Bins empty on both
 * sides contribute 0. Symmetric; 0 for identical distributions.
 */
export function psi(reference: ArrayLike<number>, live: ArrayLike<number>): number {
  const r = proportions(reference);
  const l = proportions(live);
  const er = emptyBinEpsilon(r);
  const el = emptyBinEpsilon(l);
  let sum = 0;
  for (let i = 0; i < r.length; i++) {
    const ri = r[i]! === 0 ? er : r[i]!;
    const li = l[i]! === 0 ? el : l[i]!;
    sum += (ri - li) * Math.log(ri / li);
  }
  return sum;
}

/**
 * Jensen-Shannon distance with base-2 logarithms, as scipy.spatial.distance.jensenshannon(p, q,
 * base=2) (which Evidently calls): both count vectors normalised to sum 1, m = (p + q) / 2,
 * JS = sqrt((KL(p‖m) + KL(q‖m)) / 2), KL in bits; 0 ≤ JS ≤ 1; 0·log 0 = 0, no epsilon.
 */
export function jensenShannon(reference: ArrayLike<number>, live: ArrayLike<number>): number {
  const p = proportions(reference);
  const q = proportions(live);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    if (p[i]! > 0) sum += p[i]! * Math.log(p[i]! / m);
    if (q[i]! > 0) sum += q[i]! * Math.log(q[i]! / m);
  }
  return Math.sqrt(Math.max(0, sum / 2 / Math.LN2));
}
