// Per-feature drift verdicts and the dataset-level verdict: which statistic applies to a feature
// (Evidently's automatic choice, or the spec's override), its threshold, the minimum sample
// size, and the share of drifted features. Pure; the DriftMonitor controller gathers the inputs.
import type { DriftThresholds, FeatureDrift } from '../api/v1alpha1/types.ts';
import { chiSquaredHomogeneity } from './chisquared.ts';
import { jensenShannon, psi } from './divergence.ts';
import { alignCategories, binSorted, distinctUpTo } from './inputs.ts';
import type { CategoryCounts } from './inputs.ts';
import { histogramEdges } from '../data/profile.ts';
import { ksTestBinned, ksTestSorted } from './ks.ts';
import { compareSorted } from './sorted.ts';
import { normalisedWasserstein, populationStd, wassersteinBinned, wassersteinSorted } from './wasserstein.ts';

export type Method = 'PSI' | 'KS' | 'ChiSquared' | 'JensenShannon' | 'Wasserstein';
export type MethodChoice = Method | 'Auto';

/** The defaults of the CRD (Evidently's defaults for the same statistics). */
export const DEFAULT_THRESHOLDS: Required<DriftThresholds> = { psi: 0.1, ksPValue: 0.05, chiSquaredPValue: 0.05, jensenShannon: 0.1, wasserstein: 0.1 };
export const DEFAULT_MIN_SAMPLES = 100;
export const DEFAULT_DRIFT_SHARE = 0.5;
/** Evidently: up to this many reference rows, tests (p-values); above it, distances. */
export const SMALL_REFERENCE_ROWS = 1000;
/** Evidently: a numeric feature with at most this many distinct values is compared as categories. */
export const FEW_VALUES = 5;
/** Bins for PSI and Jensen-Shannon on exact numeric samples when no profile edges are given (the profile's default). */
export const DEFAULT_BINS = 20;

/** A numeric feature as exact samples, each sorted once (sortedSample) and reused by every statistic. */
export interface NumericSamples {
  kind: 'numericSamples';
  reference: Float64Array;
  live: Float64Array;
  /** Bin edges for PSI, Jensen-Shannon and chi-squared; default: the profile's rule, 20 bins over the reference range. */
  edges?: number[];
}

/** A numeric feature as counts over the reference profile's histogram edges. */
export interface NumericBinned {
  kind: 'numericBinned';
  /** The profile's edges (bins [e_i, e_i+1), the last closed). */
  edges: number[];
  /** The profile's counts, one per bin. */
  reference: number[];
  /** Live counts [below e_0, ...one per bin, above the last edge] (inputs.ts: binSorted, liveCountsFromBuckets). */
  live: number[];
  /** The profile's (sample, n-1) standard deviation; converted to the population one Evidently divides by. */
  referenceStd: number;
  /** The profile's distinct count: at most 5 compares the bins as categories. */
  referenceDistinct?: number;
}

/** A categorical feature (or class predictions): counts per category on both sides. */
export interface Categorical {
  kind: 'categorical';
  reference: CategoryCounts;
  live: CategoryCounts;
}

export type FeatureInput = NumericSamples | NumericBinned | Categorical;

export interface FeatureOptions {
  /** The spec's method for this feature (DriftFeature.method, else DriftMonitorSpec.method); default Auto. */
  method?: MethodChoice;
  /** DriftFeature.threshold: overrides the method's default threshold. */
  threshold?: number;
  /** DriftMonitorSpec.thresholds. */
  thresholds?: DriftThresholds;
  /** Fewest live samples; below it the verdict is InsufficientData. */
  minSamples?: number;
}

/** A method that does not apply to the feature's type: an invalid spec, not worth retrying. */
export class DriftMethodError extends Error {
  readonly code = 'InvalidDriftMethod';
}

/**
 * Evidently's automatic choice (evidently/calculations/stattests/registry.py,
 * _get_default_stattest): reference ≤ 1000 rows → KS for numeric features, chi-squared for
 * categorical ones (Evidently's Z-test for two values is our chi-squared's 2-category case);
 * more rows → Wasserstein (normed) for numeric, Jensen-Shannon for categorical. A numeric feature
 * with at most 5 distinct values is compared as categories.
 */
export function chooseMethod(type: 'numeric' | 'categorical', referenceRows: number, distinctValues: number): { method: Method; asCategories: boolean } {
  const asCategories = type === 'categorical' || distinctValues <= FEW_VALUES;
  if (referenceRows <= SMALL_REFERENCE_ROWS) return { method: asCategories ? 'ChiSquared' : 'KS', asCategories };
  return { method: asCategories ? 'JensenShannon' : 'Wasserstein', asCategories };
}

/** The threshold of a method: the feature's own, else the spec's, else the default. */
export function thresholdFor(method: Method, feature?: number, spec?: DriftThresholds): number {
  if (feature !== undefined) return feature;
  const t = { ...DEFAULT_THRESHOLDS, ...definedOnly(spec ?? {}) };
  switch (method) {
    case 'PSI':
      return t.psi;
    case 'KS':
      return t.ksPValue;
    case 'ChiSquared':
      return t.chiSquaredPValue;
    case 'JensenShannon':
      return t.jensenShannon;
    case 'Wasserstein':
      return t.wasserstein;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Tests drift when the p-value is below the threshold; distances when the distance is above it (the CRD's wording). */
export function isDrift(method: Method, value: number, threshold: number): boolean {
  return method === 'KS' || method === 'ChiSquared' ? value < threshold : value > threshold;
}

function total(counts: Iterable<number>): number {
  let s = 0;
  for (const c of counts) s += c;
  return s;
}

/** Counts per distinct value of a sorted sample, keyed by the value's string form. */
function valueCounts(sorted: Float64Array): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    m.set(String(sorted[i]), j - i);
    i = j;
  }
  return m;
}

/** Counts on both sides as aligned vectors, whatever the input form: what PSI, JS and chi-squared take. */
function countVectors(input: FeatureInput, asCategories: boolean): { reference: number[]; live: number[] } {
  switch (input.kind) {
    case 'categorical':
      return alignCategories(input.reference, input.live);
    case 'numericBinned':
      // Bins as categories: the reference has nothing outside its range, so its slots there are 0.
      return { reference: [0, ...input.reference, 0], live: input.live };
    case 'numericSamples': {
      if (asCategories) return alignCategories(valueCounts(input.reference), valueCounts(input.live));
      const edges = input.edges ?? histogramEdges(input.reference[0]!, input.reference[input.reference.length - 1]!, DEFAULT_BINS);
      return { reference: binSorted(input.reference, edges), live: binSorted(input.live, edges) };
    }
  }
}

function sizes(input: FeatureInput): { reference: number; live: number } {
  switch (input.kind) {
    case 'numericSamples':
      return { reference: input.reference.length, live: input.live.length };
    case 'numericBinned':
      return { reference: total(input.reference), live: total(input.live) };
    case 'categorical':
      return { reference: total(input.reference.values()), live: total(input.live.values()) };
  }
}

/** The statistic of one method on one feature: the value compared with the threshold, and the test statistic for tests. */
export function computeStatistic(input: FeatureInput, method: Method, asCategories: boolean): { statistic: number; pValue?: number } {
  if ((method === 'KS' || method === 'Wasserstein') && input.kind === 'categorical') {
    throw new DriftMethodError(`${method} needs a numeric feature; use ChiSquared, JensenShannon or PSI for a categorical one`);
  }
  switch (method) {
    case 'KS': {
      const r = input.kind === 'numericSamples' ? ksTestSorted(input.reference, input.live) : ksTestBinned([0, ...(input as NumericBinned).reference, 0], (input as NumericBinned).live);
      return { statistic: r.statistic, pValue: r.pValue };
    }
    case 'Wasserstein': {
      if (input.kind === 'numericSamples') return { statistic: normalisedWasserstein(wassersteinSorted(input.reference, input.live), populationStd(input.reference)) };
      const b = input as NumericBinned;
      const n = total(b.reference);
      const std = n > 1 ? b.referenceStd * Math.sqrt((n - 1) / n) : 0;
      return { statistic: normalisedWasserstein(wassersteinBinned(b.edges, b.reference, b.live), std) };
    }
    case 'ChiSquared': {
      const c = countVectors(input, asCategories);
      const r = chiSquaredHomogeneity(c.reference, c.live);
      return { statistic: r.statistic, pValue: r.pValue };
    }
    case 'JensenShannon': {
      const c = countVectors(input, asCategories);
      return { statistic: jensenShannon(c.reference, c.live) };
    }
    case 'PSI': {
      const c = countVectors(input, asCategories);
      return { statistic: psi(c.reference, c.live) };
    }
  }
}

/**
 * Every statistic of a numeric feature given as exact samples, sharing the work: one merge pass
 * for KS and Wasserstein, one binning (on the given edges, else 20 over the reference range) for
 * PSI, Jensen-Shannon and chi-squared. For reports and the benchmark; verdicts use evaluateFeature.
 */
export function allStatistics(input: NumericSamples): Record<Method, { statistic: number; pValue?: number }> {
  const { ksStatistic, wasserstein } = compareSorted(input.reference, input.live);
  const ks = ksTestSorted(input.reference, input.live, ksStatistic);
  const c = countVectors(input, false);
  const chi = chiSquaredHomogeneity(c.reference, c.live);
  return {
    KS: { statistic: ks.statistic, pValue: ks.pValue },
    Wasserstein: { statistic: normalisedWasserstein(wasserstein, populationStd(input.reference)) },
    PSI: { statistic: psi(c.reference, c.live) },
    JensenShannon: { statistic: jensenShannon(c.reference, c.live) },
    ChiSquared: { statistic: chi.statistic, pValue: chi.pValue },
  };
}

/**
 * The drift result of one feature, in the status shape: the method used (Auto resolved), its
 * statistic and p-value, the threshold applied, the live sample size and the verdict. Fewer live
 * samples than minSamples (or an empty reference) give InsufficientData, never NoDrift.
 */
export function evaluateFeature(name: string, input: FeatureInput, options: FeatureOptions = {}): FeatureDrift & { method: Method } {
  const n = sizes(input);
  const minSamples = options.minSamples ?? DEFAULT_MIN_SAMPLES;
  let method: Method;
  let asCategories = input.kind === 'categorical';
  if (options.method === undefined || options.method === 'Auto') {
    const distinct =
      input.kind === 'categorical'
        ? alignCategories(input.reference, input.live).categories.length
        : input.kind === 'numericSamples'
          ? distinctUpTo(input.reference, input.live, FEW_VALUES)
          : (input.referenceDistinct ?? Infinity);
    ({ method, asCategories } = chooseMethod(input.kind === 'categorical' ? 'categorical' : 'numeric', n.reference, distinct));
  } else {
    method = options.method;
  }
  const threshold = thresholdFor(method, options.threshold, options.thresholds);
  if (n.live < minSamples || n.live === 0 || n.reference === 0) return { name, method, threshold, samples: n.live, verdict: 'InsufficientData' };
  const { statistic, pValue } = computeStatistic(input, method, asCategories);
  const value = pValue ?? statistic;
  const out: FeatureDrift & { method: Method } = { name, method, statistic, threshold, samples: n.live, verdict: isDrift(method, value, threshold) ? 'Drift' : 'NoDrift' };
  if (pValue !== undefined) out.pValue = pValue;
  return out;
}

export interface DatasetDrift {
  verdict: 'Drifted' | 'NoDrift' | 'InsufficientData';
  drifted: boolean;
  /** Drifted features / features with enough data. */
  driftedShare: number;
}

/**
 * Dataset-level drift: drifted when at least `driftShare` of the features that had enough data
 * drifted (Evidently's DatasetDriftMetric: share of drifted columns >= drift_share). Prediction
 * drift, when watched, is passed in as one more feature. No feature with enough data:
 * InsufficientData.
 */
export function datasetDrift(features: readonly Pick<FeatureDrift, 'verdict'>[], driftShare = DEFAULT_DRIFT_SHARE): DatasetDrift {
  const judged = features.filter((f) => f.verdict !== 'InsufficientData');
  if (judged.length === 0) return { verdict: 'InsufficientData', drifted: false, driftedShare: 0 };
  const share = judged.filter((f) => f.verdict === 'Drift').length / judged.length;
  const drifted = share >= driftShare;
  return { verdict: drifted ? 'Drifted' : 'NoDrift', drifted, driftedShare: share };
}
