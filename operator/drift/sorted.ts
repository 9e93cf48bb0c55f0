// One merge pass over two ascending samples gives both CDF comparisons the exact statistics
// need: the KS statistic (largest gap) and the Wasserstein-1 distance (area between them). The
// sort before it is the only O(n log n) step; this pass is O(n1 + n2).

export interface SortedComparison {
  /** sup |F_a - F_b|, scipy.stats.ks_2samp's statistic. */
  ksStatistic: number;
  /** ∫ |F_a - F_b| dx, scipy.stats.wasserstein_distance. */
  wasserstein: number;
}

/**
 * Walks the distinct values of both samples in order; after each one, i and j are the counts of
 * values <= it (searchsorted side='right', as scipy). Gaps are kept as integers |i n2 - j n1|
 * (exact in doubles up to n1 n2 < 2^53) and divided once at the end.
 */
export function compareSorted(a: Float64Array, b: Float64Array): SortedComparison {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('both samples need at least one value');
  let i = 0;
  let j = 0;
  let best = 0;
  let area = 0;
  let x = a[0]! < b[0]! ? a[0]! : b[0]!;
  while (i < n1 && j < n2) {
    const ai = a[i]!;
    const bj = b[j]!;
    const v = ai <= bj ? ai : bj;
    area += Math.abs(i * n2 - j * n1) * (v - x);
    x = v;
    while (i < n1 && a[i] === v) i++;
    while (j < n2 && b[j] === v) j++;
    const gap = Math.abs(i * n2 - j * n1);
    if (gap > best) best = gap;
  }
  // One sample is exhausted: the gap only shrinks from here, but it still has area.
  while (i < n1) {
    const v = a[i]!;
    area += Math.abs(i * n2 - j * n1) * (v - x);
    x = v;
    while (i < n1 && a[i] === v) i++;
  }
  while (j < n2) {
    const v = b[j]!;
    area += Math.abs(i * n2 - j * n1) * (v - x);
    x = v;
    while (j < n2 && b[j] === v) j++;
  }
  return { ksStatistic: best / n1 / n2, wasserstein: area / n1 / n2 };
}
