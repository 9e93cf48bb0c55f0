import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DatasetColumn } from '../api/v1alpha1/types.ts';
import { ident } from './sql.ts';
import { checkColumnNames, columnChecks, evaluate, failureMessage, typedExpr } from './validate.ts';
import type { Counts } from './validate.ts';

const base: Counts = { totalRows: 100, invalidRows: 0, checks: [], validRows: 100, nulls: {}, distinctRows: 100 };
const precipitationMin = { column: 'precipitation', rule: 'min' as const, detail: 'below 0', sql: '' };

describe('evaluate', () => {
  const cases: { name: string; counts: Partial<Counts>; validation?: object; columns?: DatasetColumn[]; rules: string[] }[] = [
    { name: 'passes clean data with default rules', counts: {}, rules: [] },
    {
      name: 'rejects any invalid row when maxInvalidFraction is 0 (the default)',
      counts: { invalidRows: 1, validRows: 99, checks: [{ check: precipitationMin, count: 1, firstRow: 7 }] },
      rules: ['maxInvalidFraction', 'min'],
    },
    {
      name: 'accepts invalid rows up to maxInvalidFraction',
      counts: { invalidRows: 1, validRows: 99, checks: [{ check: precipitationMin, count: 1 }] },
      validation: { maxInvalidFraction: 0.01 },
      rules: [],
    },
    { name: 'rejects fewer valid rows than minRows', counts: { validRows: 99 }, validation: { minRows: 100 }, rules: ['minRows'] },
    { name: 'rejects an empty source by the default minRows of 1', counts: { totalRows: 0, validRows: 0, distinctRows: 0 }, rules: ['minRows'] },
    {
      name: 'rejects a nullable column with too many nulls',
      counts: { nulls: { wind: 6 } },
      validation: { maxNullFraction: 0.05 },
      columns: [{ name: 'wind', type: 'number' }],
      rules: ['maxNullFraction'],
    },
    {
      name: 'leaves non-nullable columns to the per-row rule',
      counts: { nulls: { wind: 6 } },
      validation: { maxNullFraction: 0.05 },
      columns: [{ name: 'wind', type: 'number', nullable: false }],
      rules: [],
    },
    { name: 'rejects too many duplicate rows', counts: { distinctRows: 80 }, validation: { maxDuplicateFraction: 0.1 }, rules: ['maxDuplicateFraction'] },
    { name: 'accepts duplicates by default', counts: { distinctRows: 1 }, rules: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const failures = evaluate({ ...base, ...c.counts }, c.validation, c.columns);
      assert.deepEqual(
        failures.map((f) => f.rule),
        c.rules,
      );
    });
  }
  it('names the rule, the column, the count and the first bad row', () => {
    const failures = evaluate({ ...base, invalidRows: 2, validRows: 98, checks: [{ check: precipitationMin, count: 2, firstRow: 4 }] });
    assert.equal(failures[1]!.message, 'precipitation min: 2 rows below 0 (first at data row 4)');
    assert.equal(failures[1]!.column, 'precipitation');
    assert.equal(failures[1]!.count, 2);
    assert.match(failureMessage(failures), /^maxInvalidFraction: 2 of 100 rows \(2%\) break a column rule, at most 0% allowed; precipitation min/);
  });
});

describe('checkColumnNames', () => {
  const schema = { columns: [{ name: 'a', type: 'number' as const }, { name: 'b', type: 'string' as const }] };
  it('reports a declared column missing from the source', () => {
    assert.deepEqual(
      checkColumnNames(schema, ['a']).map((f) => [f.rule, f.column]),
      [['columns', 'b']],
    );
  });
  it('ignores undeclared columns by default', () => {
    assert.deepEqual(checkColumnNames(schema, ['a', 'b', 'c']), []);
  });
  it('rejects undeclared columns with unknownColumns Reject', () => {
    const [f] = checkColumnNames({ ...schema, unknownColumns: 'Reject' }, ['a', 'b', 'c', 'd']);
    assert.equal(f!.rule, 'unknownColumns');
    assert.equal(f!.count, 2);
    assert.match(f!.message, /c, d/);
  });
});

// The checks are SQL: hold them to what a row should give, in a real (in-process) DuckDB.
describe('column checks in DuckDB', () => {
  let db: DuckDBInstance;
  let conn: DuckDBConnection;
  before(async () => {
    db = await DuckDBInstance.create(':memory:');
    conn = await db.connect();
  });
  after(() => {
    conn.closeSync();
    db.closeSync();
  });
  async function bad(column: DatasetColumn, raw: string | null): Promise<string[]> {
    const r = (n: string) => ident(n);
    const checks = columnChecks([column], r, () => typedExpr(column, r(column.name)));
    const select = checks.map((c, i) => `${c.sql} AS f${i}`).join(', ') || '1 AS none';
    const lit = raw === null ? 'NULL::VARCHAR' : `'${raw.replaceAll("'", "''")}'`;
    const [row] = (await conn.runAndReadAll(`SELECT ${select} FROM (SELECT ${lit} AS ${ident(column.name)})`)).getRowObjectsJS();
    return checks.filter((_, i) => row![`f${i}`] === true).map((c) => c.rule);
  }
  const cases: [string, DatasetColumn, string | null, string[]][] = [
    ['a number in range passes', { name: 'x', type: 'number', min: 0, max: 10 }, '2.5', []],
    ['a number below min fails min', { name: 'x', type: 'number', min: 0 }, '-1', ['min']],
    ['a number above max fails max', { name: 'x', type: 'number', max: 10 }, '10.5', ['max']],
    ['text in a number column fails type', { name: 'x', type: 'number', min: 0 }, 'abc', ['type']],
    ['NaN is not a valid number', { name: 'x', type: 'number' }, 'nan', ['type']],
    ['a missing value passes a nullable column', { name: 'x', type: 'number', min: 0 }, null, []],
    ['a missing value fails a non-nullable column', { name: 'x', type: 'number', nullable: false }, null, ['nullable']],
    ['a whole number passes an integer column', { name: 'x', type: 'integer' }, '42', []],
    ['a fraction fails an integer column (no rounding)', { name: 'x', type: 'integer' }, '1.5', ['type']],
    ['an allowed category passes', { name: 'x', type: 'category', allowedValues: ['sun', 'rain'] }, 'rain', []],
    ['an unknown category fails allowedValues', { name: 'x', type: 'category', allowedValues: ['sun', 'rain'] }, 'hail', ['allowedValues']],
    ['a quote in an allowed value is matched literally', { name: 'x', type: 'category', allowedValues: ["o'clock"] }, "o'clock", []],
    ['true is a boolean', { name: 'x', type: 'boolean' }, 'true', []],
    ['maybe is not a boolean', { name: 'x', type: 'boolean' }, 'maybe', ['type']],
    ['an ISO date is a timestamp', { name: 'x', type: 'timestamp' }, '2012-01-01', []],
    ['a bad date fails type', { name: 'x', type: 'timestamp' }, '2012-13-45', ['type']],
    ['a column name with a quote is quoted', { name: 'we"ird', type: 'number', min: 0 }, '-3', ['min']],
  ];
  for (const [name, column, raw, rules] of cases) {
    it(name, async () => assert.deepEqual(await bad(column, raw), rules));
  }
});
