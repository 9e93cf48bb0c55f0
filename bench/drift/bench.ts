// Benchmark of the drift statistics (issue #8's goals), each figure a ratio against a bound
// measured in the same run:
//
//   node bench/drift/bench.ts [--rows=1000000] [--features=20] [--runs=5] [--out=FILE]
//
// 1. Exact: for F numeric features of N reference and N live rows, sort both samples
//    (sortedSample) and compute every statistic on them: KS (statistic and p-value),
//    Wasserstein normed, and on 20 profile bins PSI, Jensen-Shannon and chi-squared, plus the
//    distinct-value count the automatic choice needs. Bound: a typed-array sort of the same
//    data (slice + Float64Array.prototype.sort) in the same process. Goal: ratio <= 2.
// 2. Binned: the same five statistics from a profile histogram and live counts over its edges,
//    per feature. Goal: a few milliseconds per feature.
// Runs alternate baseline and measured work; the median of the runs is reported. On a shared
// machine each run's ratio is noisy, so the run also times the statistics alone on the
// already-sorted samples: 1 + that / sort is the same ratio with less of the noise.
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { histogramEdges } from '../../operator/data/profile.ts';
import { FEW_VALUES, allStatistics, chooseMethod, computeStatistic } from '../../operator/drift/evaluate.ts';
import type { Method, NumericBinned, NumericSamples } from '../../operator/drift/evaluate.ts';
import { binSorted, distinctUpTo, sortedSample } from '../../operator/drift/inputs.ts';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, features: { type: 'string', default: '20' }, runs: { type: 'string', default: '5' }, out: { type: 'string', default: '' } },
});
const ROWS = Number(values.rows);
const FEATURES = Number(values.features);
const RUNS = Number(values.runs);
const METHODS: Method[] = ['KS', 'Wasserstein', 'PSI', 'JensenShannon', 'ChiSquared'];

// Deterministic data: a 32-bit xorshift, normal by Box-Muller; even features drift in the live
// sample (shifted and widened), odd ones do not; every fourth is rounded to 1 decimal (ties).
function generator(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
}
function normalSample(seed: number, n: number, mean: number, sd: number, round: boolean): Float64Array {
  const u = generator(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = mean + sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    out[i] = round ? Math.round(v * 10) / 10 : v;
  }
  return out;
}
const data = Array.from({ length: FEATURES }, (_, f) => ({
  reference: normalSample(1000 + f, ROWS, 10 * f, 1 + f, f % 4 === 3),
  live: normalSample(2000 + f, ROWS, 10 * f + (f % 2 === 0 ? 0.1 * (1 + f) : 0), (1 + f) * (f % 2 === 0 ? 1.05 : 1), f % 4 === 3),
}));

function baselineSort(): number {
  const t = performance.now();
  for (const d of data) {
    d.reference.slice().sort();
    d.live.slice().sort();
  }
  return performance.now() - t;
}

let sink = 0;
function exactAll(): number {
  const t = performance.now();
  for (const d of data) {
    const reference = sortedSample(d.reference);
    const live = sortedSample(d.live);
    const input: NumericSamples = { kind: 'numericSamples', reference, live, edges: histogramEdges(reference[0]!, reference[reference.length - 1]!, 20) };
    for (const r of Object.values(allStatistics(input))) sink += r.statistic;
    sink += chooseMethod('numeric', reference.length, distinctUpTo(reference, live, FEW_VALUES)).method.length; // the automatic choice
  }
  return performance.now() - t;
}

const presorted = data.map((d) => ({ reference: sortedSample(d.reference), live: sortedSample(d.live) }));
function statisticsOnly(): number {
  const t = performance.now();
  for (const { reference, live } of presorted) {
    const input: NumericSamples = { kind: 'numericSamples', reference, live, edges: histogramEdges(reference[0]!, reference[reference.length - 1]!, 20) };
    for (const r of Object.values(allStatistics(input))) sink += r.statistic;
    sink += chooseMethod('numeric', reference.length, distinctUpTo(reference, live, FEW_VALUES)).method.length;
  }
  return performance.now() - t;
}

// Binned inputs: the reference as a profile (20 bins, sample std), the live side as counts over the same edges.
const binned: NumericBinned[] = data.map((d) => {
  const reference = sortedSample(d.reference);
  const live = sortedSample(d.live);
  const edges = histogramEdges(reference[0]!, reference[reference.length - 1]!, 20);
  let mean = 0;
  for (const v of reference) mean += v;
  mean /= reference.length;
  let ss = 0;
  for (const v of reference) ss += (v - mean) ** 2;
  return { kind: 'numericBinned', edges, reference: binSorted(reference, edges).slice(1, -1), live: binSorted(live, edges), referenceStd: Math.sqrt(ss / (reference.length - 1)) };
});
function binnedAll(iterations: number): number {
  const t = performance.now();
  for (let i = 0; i < iterations; i++) for (const input of binned) for (const m of METHODS) sink += computeStatistic(input, m, false).statistic;
  return (performance.now() - t) / iterations / binned.length;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = loadavg()[0]!;
baselineSort(); // warm up both paths once
exactAll();
statisticsOnly();
const runs: { sortMs: number; exactMs: number; ratio: number; statisticsOnlyMs: number }[] = [];
for (let r = 0; r < RUNS; r++) {
  const sortMs = baselineSort();
  const exactMs = exactAll();
  const statisticsOnlyMs = statisticsOnly();
  runs.push({ sortMs, exactMs, ratio: exactMs / sortMs, statisticsOnlyMs });
}
binnedAll(50);
const binnedMsPerFeature = median(Array.from({ length: RUNS }, () => binnedAll(200)));

const result = {
  time: new Date().toISOString(),
  node: process.version,
  cpus: availableParallelism(),
  loadAverageAtStart: load,
  rows: ROWS,
  features: FEATURES,
  runs,
  exact: {
    sortMs: median(runs.map((r) => r.sortMs)),
    sortAndStatisticsMs: median(runs.map((r) => r.exactMs)),
    ratio: median(runs.map((r) => r.ratio)),
    statisticsOnlyMs: median(runs.map((r) => r.statisticsOnlyMs)),
    ratioFromParts: 1 + median(runs.map((r) => r.statisticsOnlyMs)) / median(runs.map((r) => r.sortMs)),
    goal: '<= 2',
  },
  binned: { msPerFeatureAllFiveStatistics: binnedMsPerFeature, goal: 'a few ms per feature' },
  sink,
};
console.log(JSON.stringify(result, null, 2));
if (values.out) writeFileSync(values.out, JSON.stringify(result, null, 2) + '\n');
