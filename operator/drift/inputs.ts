// The two forms drift inputs come in, and how each is brought to what the statistics take:
// exact samples (sorted once, reused by KS, Wasserstein and binning) and binned counts over the
// reference profile's edges (the server's Prometheus histograms and category counters).
import { OTHER } from '../data/profile.ts';

/** The finite values, ascending; NaN (missing) and ±Infinity are dropped. Sorting is the only O(n log n) step. */
export function sortedSample(values: ArrayLike<number>): Float64Array {
  // slice() copies a Float64Array at memory speed; Float64Array.from would iterate it.
  const out = values instanceof Float64Array ? values.slice() : Float64Array.from(values as ArrayLike<number>);
  out.sort();
  // Float64Array.sort puts -Infinity first, then numbers, +Infinity, NaN last.
  let start = 0;
  let end = out.length;
  while (end > 0 && !Number.isFinite(out[end - 1]!)) end--;
  while (start < end && out[start] === -Infinity) start++;
  return start === 0 && end === out.length ? out : out.subarray(start, end);
}

/** Distinct values across two sorted samples (counting stops past `limit`: the automatic choice only asks "at most 5?"). */
export function distinctUpTo(a: Float64Array, b: Float64Array, limit: number): number {
  const seen = new Set<number>();
  for (const s of [a, b]) {
    for (let i = 0; i < s.length; i++) {
      if (i > 0 && s[i] === s[i - 1]) continue;
      seen.add(s[i]!);
      if (seen.size > limit) return seen.size;
    }
  }
  return seen.size;
}

/** First index with sorted[i] >= v (or > v when `strict`). */
function lowerBound(sorted: Float64Array, v: number, strict: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (strict ? sorted[mid]! <= v : sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Counts of a sorted sample over the profile's bins, [e_i, e_i+1) with the last bin closed
 * (profile.ts's rule), plus one slot below the first edge and one above the last:
 * [below, ...bins, above], length edges.length + 1. O(bins log n) by binary search.
 */
export function binSorted(sorted: Float64Array, edges: ArrayLike<number>): number[] {
  const bins = edges.length - 1;
  const out = new Array<number>(bins + 2).fill(0);
  let prev = lowerBound(sorted, edges[0]!, false);
  out[0] = prev;
  for (let k = 1; k <= bins; k++) {
    const at = lowerBound(sorted, edges[k]!, k === bins);
    out[k] = at - prev;
    prev = at;
  }
  out[bins + 1] = sorted.length - prev;
  return out;
}

/** One `le` bucket of a Prometheus histogram: cumulative count of values <= le. */
export interface CumulativeBucket {
  le: number;
  count: number;
}

/**
 * Live counts per profile bin from the server's `modelops_feature_value` buckets (cumulative,
 * `le` = the profile's edges, then +Inf), in binSorted's layout. Prometheus bins are
 * (e_i-1, e_i]: the slot (-∞, e_0] holds the values equal to the reference minimum, which the
 * reference counts in its first bin, so it joins the first bin (values below the minimum cannot
 * be told apart from it); the slot above the last edge is the overflow. A value exactly on an
 * inner edge lands one bin lower than in the profile: see docs/drift.md.
 */
export function liveCountsFromBuckets(edges: ArrayLike<number>, buckets: CumulativeBucket[]): number[] {
  const bins = edges.length - 1;
  const byLe = new Map<number, number>();
  let total = 0;
  for (const b of buckets) {
    if (b.le === Infinity) total = b.count;
    else byLe.set(b.le, b.count);
  }
  const cumulative: number[] = [];
  for (let k = 0; k <= bins; k++) {
    const c = byLe.get(edges[k]!);
    if (c === undefined) throw new Error(`no bucket le="${edges[k]}" in the live histogram: its edges must be the reference profile's`);
    cumulative.push(c);
  }
  if (!buckets.some((b) => b.le === Infinity)) total = cumulative[bins]!;
  const out = new Array<number>(bins + 2).fill(0);
  out[1] = Math.max(0, cumulative[1] ?? cumulative[0]!);
  for (let k = 2; k <= bins; k++) out[k] = Math.max(0, cumulative[k]! - cumulative[k - 1]!);
  out[bins + 1] = Math.max(0, total - cumulative[bins]!);
  return out;
}

/** Category counts keyed by value, `__other__` included where the source folded values into it. */
export type CategoryCounts = ReadonlyMap<string, number>;

/** Counts of the values of a categorical sample; null and undefined are missing and skipped. */
export function countCategories(values: Iterable<string | null | undefined>): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) if (v !== null && v !== undefined) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

/** The profile's `categories` list as counts. */
export function profileCategoryCounts(categories: readonly { value: string; count: number }[]): Map<string, number> {
  return new Map(categories.map((c) => [c.value, c.count]));
}

/**
 * Reference and live counts over the union of their categories: the reference's order, then
 * categories seen only live in sorted order, `__other__` last. A category missing on one side
 * counts 0 there.
 */
export function alignCategories(reference: CategoryCounts, live: CategoryCounts): { categories: string[]; reference: number[]; live: number[] } {
  const categories = [...reference.keys()].filter((c) => c !== OTHER);
  const liveOnly = [...live.keys()].filter((c) => c !== OTHER && !reference.has(c)).sort();
  categories.push(...liveOnly);
  if (reference.has(OTHER) || live.has(OTHER)) categories.push(OTHER);
  return {
    categories,
    reference: categories.map((c) => reference.get(c) ?? 0),
    live: categories.map((c) => live.get(c) ?? 0),
  };
}
