// The profile of a dataset version: per-column statistics computed by DuckDB, kept whole in the
// artifact store (the drift reference) and compacted for the Dataset's status.
import type { ColumnProfile } from '../api/v1alpha1/types.ts';
import { ident, num, plain, toNumber } from './sql.ts';

export const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;
export const OTHER = '__other__';
/** The status holds at most this many categories per column (the CRD's maxItems). */
export const STATUS_MAX_CATEGORIES = 50;
/** Categories kept per column (with __other__) when the termination message must shrink. */
export const TRIMMED_CATEGORIES = 10;

export interface CategoryCount {
  value: string;
  count: number;
}

/** One column in the full profile: the status shape plus the counts behind it. */
export interface FullColumnProfile extends ColumnProfile {
  /** Rows in the version. */
  count: number;
  /** Missing values. */
  nulls: number;
  /** Timestamp columns: earliest and latest value (ISO 8601). */
  minTime?: string;
  maxTime?: string;
}

export interface DatasetProfile {
  apiVersion: 'modelops.dev/v1alpha1';
  kind: 'DatasetProfile';
  namespace: string;
  dataset: string;
  digest: string;
  rows: number;
  settings: { histogramBins: number; maxCategories: number };
  columns: FullColumnProfile[];
}

export interface ProfileSettings {
  histogramBins: number;
  maxCategories: number;
}

/** A column to profile: its name in the table and its stored logical type. */
export interface ProfileColumn {
  name: string;
  type: ColumnProfile['type'];
}

/** Runs SQL and returns rows as objects. */
export type Query = (sql: string) => Promise<Record<string, unknown>[]>;

/**
 * Equal-width bin edges from min to max (a constant column gets min-0.5 .. max+0.5, as numpy
 * does). The outer edges are exactly min and max; inner edges are rounded to the fewest digits
 * that keep them within a millionth of a bin, so they read well and compare exactly later.
 */
export function histogramEdges(min: number, max: number, bins: number): number[] {
  const lo = min === max ? min - 0.5 : min;
  const hi = min === max ? max + 0.5 : max;
  const step = (hi - lo) / bins;
  const magnitude = Math.max(Math.abs(lo), Math.abs(hi), step);
  const digits = Math.min(17, Math.max(6, Math.ceil(Math.log10(magnitude / step)) + 7));
  const edges = [lo];
  for (let i = 1; i < bins; i++) {
    const exact = lo + i * step;
    const rounded = Number(exact.toPrecision(digits));
    edges.push(rounded > edges[i - 1]! && rounded < hi ? rounded : exact);
  }
  edges.push(hi);
  return edges;
}

/**
 * SQL counting the non-null values of a column per bin: bins are [e_i, e_i+1), the last one
 * closed. The bin is first estimated by arithmetic, then moved by at most one to agree with
 * the (rounded) edges, so the cost does not grow with the number of bins. Rows: bin, n.
 */
export function histogramSql(table: string, column: string, edges: number[]): string {
  const bins = edges.length - 1;
  const x = ident(column);
  if (bins <= 1) return `SELECT 0 AS bin, count(${x}) AS n FROM ${table}`;
  const lo = edges[0]!;
  const step = (edges[bins]! - lo) / bins;
  const list = `[${edges.map(num).join(', ')}]`;
  // DuckDB lists are 1-based: edge e_i is list[i + 1].
  const bin = `k - CAST(v < list_extract(${list}, k + 1) AS INTEGER) + CAST(k < ${bins - 1} AND v >= list_extract(${list}, k + 2) AS INTEGER)`;
  const k = `least(${bins - 1}, greatest(0, CAST(floor((v - ${num(lo)}) / ${num(step)}) AS INTEGER)))`;
  return `SELECT ${bin} AS bin, count(*) AS n FROM (SELECT v, ${k} AS k FROM (SELECT CAST(${x} AS DOUBLE) AS v FROM ${table} WHERE ${x} IS NOT NULL)) GROUP BY bin`;
}

/** Reference binning of one value, the same rule as binSql. */
export function binOf(value: number, edges: number[]): number {
  let bin = 0;
  for (let i = 1; i < edges.length - 1; i++) if (value >= edges[i]!) bin = i;
  return bin;
}

function isNumeric(type: ColumnProfile['type']): boolean {
  return type === 'number' || type === 'integer';
}

function isCategorical(type: ColumnProfile['type']): boolean {
  return type === 'category' || type === 'boolean';
}

function finiteOrUndefined(v: unknown): number | undefined {
  const n = typeof v === 'bigint' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** Profiles every column of a table in one scan plus one query per histogram or category count. */
export async function profileTable(query: Query, table: string, columns: ProfileColumn[], settings: ProfileSettings): Promise<FullColumnProfile[]> {
  const select: string[] = ['count(*) AS "rows"'];
  columns.forEach((c, i) => {
    const x = ident(c.name);
    select.push(`count(${x}) AS "c${i}_n"`, `count(DISTINCT ${x}) AS "c${i}_distinct"`);
    if (isNumeric(c.type)) {
      select.push(
        `min(${x})::DOUBLE AS "c${i}_min"`,
        `max(${x})::DOUBLE AS "c${i}_max"`,
        `avg(${x})::DOUBLE AS "c${i}_mean"`,
        `stddev_samp(${x})::DOUBLE AS "c${i}_std"`,
        `quantile_cont(${x}, [${QUANTILES.join(', ')}]) AS "c${i}_q"`,
      );
    } else if (c.type === 'timestamp') {
      select.push(`min(${x}) AS "c${i}_min"`, `max(${x}) AS "c${i}_max"`);
    }
  });
  const [agg = {}] = await query(`SELECT ${select.join(', ')} FROM ${table}`);
  const rows = toNumber(agg.rows);
  const out: FullColumnProfile[] = [];
  for (const [i, c] of columns.entries()) {
    const nonNull = toNumber(agg[`c${i}_n`]);
    const p: FullColumnProfile = {
      name: c.name,
      type: c.type,
      count: rows,
      nulls: rows - nonNull,
      nullFraction: rows === 0 ? 0 : (rows - nonNull) / rows,
      distinct: toNumber(agg[`c${i}_distinct`]),
    };
    if (isNumeric(c.type) && nonNull > 0) {
      const min = finiteOrUndefined(agg[`c${i}_min`]);
      const max = finiteOrUndefined(agg[`c${i}_max`]);
      const mean = finiteOrUndefined(agg[`c${i}_mean`]);
      const std = finiteOrUndefined(agg[`c${i}_std`]);
      if (min !== undefined) p.min = min;
      if (max !== undefined) p.max = max;
      if (mean !== undefined) p.mean = mean;
      if (std !== undefined) p.std = std;
      const q = (plain(agg[`c${i}_q`]) as number[] | null) ?? [];
      p.quantiles = { p05: q[0], p25: q[1], p50: q[2], p75: q[3], p95: q[4] };
      if (min !== undefined && max !== undefined) {
        const edges = histogramEdges(min, max, settings.histogramBins);
        const counts: number[] = new Array<number>(edges.length - 1).fill(0);
        for (const r of await query(histogramSql(table, c.name, edges))) {
          counts[toNumber(r.bin)] = toNumber(r.n);
        }
        p.histogram = { edges, counts };
      }
    } else if (c.type === 'timestamp' && nonNull > 0) {
      p.minTime = plain(agg[`c${i}_min`]) as string;
      p.maxTime = plain(agg[`c${i}_max`]) as string;
    } else if (isCategorical(c.type) && nonNull > 0) {
      const x = ident(c.name);
      const top = await query(
        `SELECT CAST(${x} AS VARCHAR) AS v, count(*) AS n FROM ${table} WHERE ${x} IS NOT NULL GROUP BY v ORDER BY n DESC, v ASC LIMIT ${settings.maxCategories}`,
      );
      p.categories = withOther(
        top.map((r) => ({ value: String(r.v), count: toNumber(r.n) })),
        nonNull,
      );
    }
    out.push(p);
  }
  return out;
}

/** Appends __other__ with the values not in the list, when there are any. */
export function withOther(top: CategoryCount[], total: number): CategoryCount[] {
  const listed = top.reduce((s, c) => s + c.count, 0);
  return total > listed ? [...top, { value: OTHER, count: total - listed }] : top;
}

/** The status form of a column: the CRD's fields only, at most 50 categories. */
export function compactColumn(p: FullColumnProfile): ColumnProfile {
  const c: ColumnProfile = { name: p.name, type: p.type, nullFraction: p.nullFraction };
  if (p.distinct !== undefined) c.distinct = p.distinct;
  for (const k of ['min', 'max', 'mean', 'std'] as const) if (p[k] !== undefined) c[k] = p[k];
  if (p.quantiles) c.quantiles = { ...p.quantiles };
  if (p.histogram) c.histogram = { edges: [...p.histogram.edges], counts: [...p.histogram.counts] };
  if (p.categories) {
    const total = p.categories.reduce((s, x) => s + x.count, 0);
    const named = p.categories.filter((x) => x.value !== OTHER);
    c.categories = named.length < STATUS_MAX_CATEGORIES ? p.categories.map((x) => ({ ...x })) : withOther(named.slice(0, STATUS_MAX_CATEGORIES - 1), total);
  }
  return c;
}

function round(n: number | undefined): number | undefined {
  return n === undefined ? undefined : Number(n.toPrecision(6));
}

/**
 * Shrinks a compact profile step by step until fits(columns) holds: round numbers to 6
 * significant digits, keep the top 9 categories and __other__, drop histograms, drop
 * categories, drop quantiles, then drop columns
 * from the end. Returns the columns and the steps taken; the full profile is in the store.
 */
export function trimColumns(columns: ColumnProfile[], fits: (columns: ColumnProfile[]) => boolean): { columns: ColumnProfile[]; trimmed: string[] } {
  const trimmed: string[] = [];
  let cur = columns;
  const steps: [string, (c: ColumnProfile) => ColumnProfile][] = [
    [
      'rounded',
      (c) => {
        const r: ColumnProfile = { ...c, nullFraction: round(c.nullFraction) ?? 0 };
        for (const k of ['min', 'max', 'mean', 'std'] as const) if (c[k] !== undefined) r[k] = round(c[k]);
        if (c.quantiles) r.quantiles = Object.fromEntries(Object.entries(c.quantiles).map(([k, v]) => [k, round(v)]));
        if (c.histogram) r.histogram = { edges: c.histogram.edges.map((e) => round(e) ?? e), counts: c.histogram.counts };
        return r;
      },
    ],
    [
      'topCategories',
      (c) => {
        if (!c.categories || c.categories.length <= TRIMMED_CATEGORIES) return c;
        const total = c.categories.reduce((s, x) => s + x.count, 0);
        return { ...c, categories: withOther(c.categories.filter((x) => x.value !== OTHER).slice(0, TRIMMED_CATEGORIES - 1), total) };
      },
    ],
    ['histograms', ({ histogram: _h, ...rest }) => rest],
    ['categories', ({ categories: _c, ...rest }) => rest],
    ['quantiles', ({ quantiles: _q, ...rest }) => rest],
  ];
  for (const [name, step] of steps) {
    if (fits(cur)) return { columns: cur, trimmed };
    cur = cur.map(step);
    trimmed.push(name);
  }
  if (fits(cur)) return { columns: cur, trimmed };
  trimmed.push('columns');
  while (cur.length > 0 && !fits(cur)) cur = cur.slice(0, -1);
  return { columns: cur, trimmed };
}
