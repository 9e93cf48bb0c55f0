// The scipy reference values (reference.json, written by reference.py) and the data they were
// computed on, loaded the same way for every drift test.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NumericReference {
  ks: { statistic: number; pValue: number };
  wasserstein: number;
  wassersteinNormed: number;
  referenceStdSample: number;
  edges: number[];
  referenceBins: number[];
  liveBins: number[];
  psi: number;
  jensenShannon: number;
  chiSquared: { statistic: number; pValue: number; dof: number };
}

export interface CategoricalReference {
  categories: string[];
  reference: number[];
  live: number[];
  chiSquared: { statistic: number; pValue: number; dof: number };
  goodnessOfFit: { statistic: number; pValue: number };
  jensenShannon: number;
  psi: number;
}

export interface Scenario {
  referenceRows: number[];
  liveRows: number[];
  numeric: Record<string, NumericReference>;
  weather: CategoricalReference;
}

export interface Reference {
  scipy: string;
  seed: number;
  scenarios: { winter: Scenario; holdout: Scenario };
  synthetic: { n1: number; n2: number; seed1: number; seed2: number; shift: number; decimals: number | null; ks: { statistic: number; pValue: number }; wasserstein: number }[];
  special: {
    gammaincc: [number, number, number][];
    chi2sf: [number, number, number][];
    kolmogorov: [number, number][];
    smirnov: [number, number, number][];
    kstwo: [number, number, number][];
  };
}

export const reference = JSON.parse(readFileSync(join(import.meta.dirname, 'reference.json'), 'utf8')) as Reference;

export const NUMERIC_FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind'] as const;

/** Seattle weather as columns (the CSV has no quoted fields). */
export function seattleWeather(): { numeric: Record<string, Float64Array>; weather: string[] } {
  const path = join(import.meta.dirname, '../../../node_modules/vega-datasets/data/seattle-weather.csv');
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const names = header!.split(',');
  const rows = lines.map((l) => l.split(','));
  const numeric: Record<string, Float64Array> = {};
  for (const f of NUMERIC_FEATURES) {
    const i = names.indexOf(f);
    numeric[f] = Float64Array.from(rows, (r) => Number(r[i]));
  }
  const w = names.indexOf('weather');
  return { numeric, weather: rows.map((r) => r[w]!) };
}

/** The Park-Miller sample reference.py draws: exact in doubles, so both sides get the same bits. */
export function parkMiller(seed: number, n: number, scale: number, shift: number, decimals: number | null): Float64Array {
  const out = new Float64Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 48271) % 2147483647;
    let v = (x / 2147483647) * scale + shift;
    if (decimals !== null) v = Math.floor(v * 10 ** decimals) / 10 ** decimals;
    out[i] = v;
  }
  return out;
}

/** |actual - expected| <= abs + rel·|expected|, with a message naming the case. */
export function near(actual: number, expected: number, tol: { abs?: number; rel?: number }, what: string): void {
  const limit = (tol.abs ?? 0) + (tol.rel ?? 0) * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= limit)) throw new Error(`${what}: ${actual} differs from ${expected} by ${Math.abs(actual - expected)}, more than ${limit}`);
}
