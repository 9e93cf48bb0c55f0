import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnProfile } from '../api/v1alpha1/types.ts';
import { OTHER, binOf, compactColumn, histogramEdges, histogramSql, profileTable, trimColumns, withOther } from './profile.ts';
import type { FullColumnProfile } from './profile.ts';

// Straightforward references: numpy's default (linear) quantile, sample std.
function quantile(sorted: number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  return sorted[lo]! + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? 0) - sorted[lo]!);
}
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sampleStd = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const close = (a: number | undefined, b: number, what: string) => assert.ok(a !== undefined && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} != ${b}`);

describe('histogramEdges', () => {
  it('gives bins+1 ascending edges from exactly min to exactly max', () => {
    const e = histogramEdges(-1.6, 35.6, 20);
    assert.equal(e.length, 21);
    assert.equal(e[0], -1.6);
    assert.equal(e[20], 35.6);
    for (let i = 1; i < e.length; i++) assert.ok(e[i]! > e[i - 1]!);
  });
  it('rounds inner edges to short numbers within a millionth of a bin', () => {
    const e = histogramEdges(0, 55.9, 20);
    assert.equal(e[1], 2.795);
    for (let i = 1; i < 20; i++) assert.ok(Math.abs(e[i]! - (55.9 * i) / 20) < (55.9 / 20) * 1e-6);
  });
  it('keeps edges distinct for a narrow range at a large magnitude', () => {
    const e = histogramEdges(1.7e9, 1.7e9 + 100, 10);
    assert.equal(new Set(e).size, 11);
    assert.equal(e[1], 1.7e9 + 10);
  });
  it('widens a constant column to min-0.5 .. max+0.5 as numpy does', () => {
    assert.deepEqual(histogramEdges(3, 3, 5), [2.5, 2.7, 2.9, 3.1, 3.3, 3.5]);
  });
});

describe('binOf', () => {
  const edges = [0, 1, 2, 3];
  const cases: [number, number][] = [
    [0, 0],
    [0.99, 0],
    [1, 1],
    [2.5, 2],
    [3, 2],
  ];
  for (const [v, bin] of cases) it(`puts ${v} in bin ${bin} (half-open bins, last one closed)`, () => assert.equal(binOf(v, edges), bin));
});

describe('profileTable against a reference', () => {
  let db: DuckDBInstance;
  let conn: DuckDBConnection;
  // Deterministic pseudo-random values, some missing.
  const values: (number | null)[] = [];
  let seed = 7;
  for (let i = 0; i < 997; i++) {
    seed = (seed * 48271) % 2147483647;
    values.push(i % 50 === 0 ? null : Math.round(((seed / 2147483647) * 200 - 50) * 100) / 100);
  }
  const cats = ['a', 'b', 'b', 'c', 'c', 'c', 'd', 'd', 'd', 'd'];
  let profile: FullColumnProfile[];
  before(async () => {
    db = await DuckDBInstance.create(':memory:');
    conn = await db.connect();
    await conn.run('CREATE TABLE t (x DOUBLE, k VARCHAR, n BIGINT)');
    const app = await conn.createAppender('t');
    values.forEach((v, i) => {
      if (v === null) app.appendNull();
      else app.appendDouble(v);
      app.appendVarchar(cats[i % cats.length]!);
      app.appendBigInt(BigInt(i % 7));
      app.endRow();
    });
    app.closeSync();
    const query = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    profile = await profileTable(
      query,
      't',
      [
        { name: 'x', type: 'number' },
        { name: 'k', type: 'category' },
        { name: 'n', type: 'integer' },
      ],
      { histogramBins: 20, maxCategories: 3 },
    );
  });
  after(() => {
    conn.closeSync();
    db.closeSync();
  });

  it('counts distinct values exactly', () => {
    assert.equal(profile[0]!.distinct, new Set(values.filter((v) => v !== null)).size);
    assert.equal(profile[1]!.distinct, 4);
  });
  it('counts missing values', () => {
    const nulls = values.filter((v) => v === null).length;
    assert.equal(profile[0]!.nulls, nulls);
    close(profile[0]!.nullFraction, nulls / values.length, 'nullFraction');
  });
  it('matches min, max, mean, sample std and linear quantiles', () => {
    const xs = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
    const p = profile[0]!;
    assert.equal(p.min, xs[0]);
    assert.equal(p.max, xs[xs.length - 1]);
    close(p.mean, mean(xs), 'mean');
    close(p.std, sampleStd(xs), 'std');
    close(p.quantiles?.p05, quantile(xs, 0.05), 'p05');
    close(p.quantiles?.p25, quantile(xs, 0.25), 'p25');
    close(p.quantiles?.p50, quantile(xs, 0.5), 'p50');
    close(p.quantiles?.p75, quantile(xs, 0.75), 'p75');
    close(p.quantiles?.p95, quantile(xs, 0.95), 'p95');
  });
  it('bins every value as the reference does, on the edges it reports', () => {
    const xs = values.filter((v): v is number => v !== null);
    const h = profile[0]!.histogram!;
    assert.deepEqual(h.edges, histogramEdges(Math.min(...xs), Math.max(...xs), 20));
    const expected = new Array<number>(20).fill(0);
    for (const x of xs) expected[binOf(x, h.edges)]!++;
    assert.deepEqual(h.counts, expected);
  });
  it('keeps the top categories and counts the rest as __other__', () => {
    const k = profile[1]!;
    assert.deepEqual(k.categories, [
      { value: 'd', count: 397 },
      { value: 'c', count: 300 },
      { value: 'b', count: 200 },
      { value: OTHER, count: 100 },
    ]);
    assert.equal(k.histogram, undefined);
  });
  it('bins values on and beside every edge as the reference does', async () => {
    const edges = histogramEdges(-1.6, 35.6, 20);
    const values = edges.flatMap((e) => [e, e - 1e-9, e + 1e-9]).filter((v) => v >= -1.6 && v <= 35.6);
    await conn.run('CREATE TABLE edges_t (x DOUBLE)');
    await conn.run(`INSERT INTO edges_t VALUES ${values.map((v) => `(${v})`).join(', ')}`);
    const counts = new Array<number>(20).fill(0);
    for (const r of (await conn.runAndReadAll(histogramSql('edges_t', 'x', edges))).getRowObjectsJS()) counts[Number(r.bin)] = Number(r.n);
    const expected = new Array<number>(20).fill(0);
    for (const v of values) expected[binOf(v, edges)]!++;
    assert.deepEqual(counts, expected);
  });
  it('profiles integer columns as numbers', () => {
    assert.equal(profile[2]!.min, 0);
    assert.equal(profile[2]!.max, 6);
    assert.equal(profile[2]!.histogram!.counts.reduce((s, c) => s + c, 0), 997);
  });
});

describe('compactColumn', () => {
  it('keeps at most 50 categories, folding the rest into __other__', () => {
    const categories = Array.from({ length: 60 }, (_, i) => ({ value: `v${i}`, count: 100 - i }));
    const full: FullColumnProfile = { name: 'c', type: 'category', nullFraction: 0, count: 0, nulls: 0, categories: withOther(categories, 6000) };
    const c = compactColumn(full);
    assert.equal(c.categories!.length, 50);
    assert.equal(c.categories![49]!.value, OTHER);
    assert.equal(
      c.categories!.reduce((s, x) => s + x.count, 0),
      6000,
    );
    assert.equal((c as FullColumnProfile).count, undefined);
  });
});

describe('trimColumns', () => {
  const col = (name: string): ColumnProfile => ({
    name,
    type: 'number',
    nullFraction: 0.123456789,
    mean: 1.23456789,
    quantiles: { p50: 1.000001234 },
    histogram: { edges: [0, 1, 2], counts: [1, 2] },
  });
  const size = (cols: ColumnProfile[]) => JSON.stringify(cols).length;
  it('changes nothing when the profile fits', () => {
    const cols = [col('a')];
    assert.deepEqual(trimColumns(cols, () => true), { columns: cols, trimmed: [] });
  });
  it('drops detail in order until it fits', () => {
    const cols = [col('a'), col('b')];
    const { columns, trimmed } = trimColumns(cols, (c) => size(c) <= 200);
    assert.deepEqual(trimmed, ['rounded', 'topCategories', 'histograms']);
    assert.equal(columns[0]!.mean, 1.23457);
    assert.equal(columns[0]!.histogram, undefined);
    assert.ok(size(columns) <= 200);
  });
  it('drops columns from the end as a last resort', () => {
    const { columns, trimmed } = trimColumns([col('a'), col('b'), col('c')], (c) => size(c) <= 100);
    assert.equal(trimmed.at(-1), 'columns');
    assert.deepEqual(
      columns.map((c) => c.name),
      ['a'],
    );
  });
});
