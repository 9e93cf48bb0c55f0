// The first Wasserstein (earth mover's) distance between two one-dimensional distributions,
// W1 = ∫ |F_ref(x) - F_live(x)| dx, exactly from sorted samples (as scipy.stats.wasserstein_distance)
// and approximately from histograms over shared edges; normalised by the reference's spread as
// Evidently's "Wasserstein distance (normed)".
import { compareSorted } from './sorted.ts';

/** Evidently's floor on the normalising standard deviation, so a constant reference does not divide by 0. */
export const MIN_NORM = 0.001;

/** W1 from two ascending samples (compareSorted's merge pass; CDFs as right-continuous steps). */
export function wassersteinSorted(a: Float64Array, b: Float64Array): number {
  return compareSorted(a, b).wasserstein;
}

/**
 * W1 from counts over shared bins, each bin's mass spread evenly across it (both CDFs linear
 * inside a bin, so |F_ref - F_live| is integrated exactly there). `edges` has one more entry
 * than `reference`; `live` has two more: [below edges[0], ...bins, above the last edge]. The
 * live mass outside the edges sits on the outer edge: its true position is unknown, so that part
 * of the distance is a lower bound.
 */
export function wassersteinBinned(edges: ArrayLike<number>, reference: ArrayLike<number>, live: ArrayLike<number>): number {
  const bins = edges.length - 1;
  let n1 = 0;
  let n2 = 0;
  for (let k = 0; k < bins; k++) n1 += reference[k]!;
  for (let k = 0; k < bins + 2; k++) n2 += live[k]!;
  let r = 0;
  let l = live[0]! / n2;
  let area = 0;
  for (let k = 0; k < bins; k++) {
    const w = edges[k + 1]! - edges[k]!;
    const a0 = r - l;
    r += reference[k]! / n1;
    l += live[k + 1]! / n2;
    const a1 = r - l;
    const s0 = Math.abs(a0);
    const s1 = Math.abs(a1);
    // ∫ of |a linear function from a0 to a1| over the width; when it changes sign, two triangles.
    area += a0 * a1 >= 0 ? (w * (s0 + s1)) / 2 : s0 + s1 === 0 ? 0 : (w * (a0 * a0 + a1 * a1)) / (2 * (s0 + s1));
  }
  return area;
}

/** Population standard deviation (ddof 0, numpy's np.std default, which Evidently uses to normalise). */
export function populationStd(values: Float64Array): number {
  const n = values.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - mean) ** 2;
  return Math.sqrt(ss / n);
}

/** W1 divided by max(reference population std, 0.001), Evidently's "wasserstein distance (normed)". */
export function normalisedWasserstein(distance: number, referenceStd: number): number {
  return distance / Math.max(referenceStd, MIN_NORM);
}
