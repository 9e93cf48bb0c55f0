// Validation of a source against a Dataset's schema and rules. The SQL that flags each row is
// built here; evaluate() turns the counts DuckDB returns into failures, a pure policy chain.
import type { DatasetColumn, DatasetSchema, DatasetValidation } from '../api/v1alpha1/types.ts';
import { num, str } from './sql.ts';

export type ColumnRule = 'type' | 'nullable' | 'min' | 'max' | 'allowedValues';

/** One per-row constraint of one column, as a SQL boolean that is true for a bad row. */
export interface Check {
  column: string;
  rule: ColumnRule;
  /** What a bad row is, for messages: "below 0", "not one of sun, rain". */
  detail: string;
  sql: string;
}

/** A broken rule, with the number of rows (or columns) that break it. */
export interface Failure {
  rule: string;
  column?: string;
  count: number;
  message: string;
  /** 1-based data row (header excluded) of the first bad row. */
  firstRow?: number;
}

/** The numbers evaluate() judges. */
export interface Counts {
  totalRows: number;
  invalidRows: number;
  checks: { check: Check; count: number; firstRow?: number }[];
  validRows: number;
  /** Missing values per declared column among valid rows. */
  nulls: Record<string, number>;
  /** Distinct rows among valid rows (over the declared columns). */
  distinctRows: number;
}

/** The SQL type a declared column is stored as. */
export function sqlType(type: DatasetColumn['type']): string {
  switch (type) {
    case 'number':
      return 'DOUBLE';
    case 'integer':
      return 'BIGINT';
    case 'boolean':
      return 'BOOLEAN';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'category':
    case 'string':
      return 'VARCHAR';
  }
}

const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER']);

/**
 * The typed value of a raw column, NULL where it does not convert. Integers must be whole
 * numbers (DuckDB's own cast rounds 1.5 to 2); numbers must be finite. When the source already
 * has the type (Parquet, JSON), the value is taken as it is.
 */
export function typedExpr(column: DatasetColumn, raw: string, sourceType?: string): string {
  switch (column.type) {
    case 'number':
      if (sourceType === 'DOUBLE' || sourceType === 'FLOAT') return `(CASE WHEN isfinite(${raw}) THEN CAST(${raw} AS DOUBLE) END)`;
      if (sourceType && INTEGER_TYPES.has(sourceType)) return `CAST(${raw} AS DOUBLE)`;
      return `(CASE WHEN isfinite(TRY_CAST(${raw} AS DOUBLE)) THEN TRY_CAST(${raw} AS DOUBLE) END)`;
    case 'integer':
      if (sourceType && INTEGER_TYPES.has(sourceType)) return `CAST(${raw} AS BIGINT)`;
      return `(CASE WHEN TRY_CAST(${raw} AS DOUBLE) = trunc(TRY_CAST(${raw} AS DOUBLE)) AND abs(TRY_CAST(${raw} AS DOUBLE)) < 9.2e18 THEN CAST(TRY_CAST(${raw} AS DOUBLE) AS BIGINT) END)`;
    case 'boolean':
      return sourceType === 'BOOLEAN' ? raw : `TRY_CAST(${raw} AS BOOLEAN)`;
    case 'timestamp':
      return sourceType === 'TIMESTAMP' ? raw : `TRY_CAST(${raw} AS TIMESTAMP)`;
    case 'category':
    case 'string':
      return sourceType === 'VARCHAR' ? raw : `CAST(${raw} AS VARCHAR)`;
  }
}

/** Every per-row check of the declared columns; raw(name) and typed(name) give their SQL. */
export function columnChecks(columns: DatasetColumn[], raw: (name: string) => string, typed: (name: string) => string): Check[] {
  const checks: Check[] = [];
  for (const c of columns) {
    const r = raw(c.name);
    const t = typed(c.name);
    if (c.type !== 'category' && c.type !== 'string') {
      checks.push({ column: c.name, rule: 'type', detail: `not a valid ${c.type}`, sql: `(${r} IS NOT NULL AND ${t} IS NULL)` });
    }
    if (c.nullable === false) checks.push({ column: c.name, rule: 'nullable', detail: 'missing a value', sql: `(${r} IS NULL)` });
    if (c.min !== undefined) checks.push({ column: c.name, rule: 'min', detail: `below ${c.min}`, sql: `coalesce(${t} < ${num(c.min)}, false)` });
    if (c.max !== undefined) checks.push({ column: c.name, rule: 'max', detail: `above ${c.max}`, sql: `coalesce(${t} > ${num(c.max)}, false)` });
    if (c.allowedValues && c.allowedValues.length > 0) {
      checks.push({
        column: c.name,
        rule: 'allowedValues',
        detail: `not one of ${c.allowedValues.join(', ')}`,
        sql: `coalesce(${t} NOT IN (${c.allowedValues.map(str).join(', ')}), false)`,
      });
    }
  }
  return checks;
}

/** Missing declared columns, and undeclared ones when the schema rejects them. */
export function checkColumnNames(schema: DatasetSchema, sourceColumns: string[]): Failure[] {
  const failures: Failure[] = [];
  const have = new Set(sourceColumns);
  const declared = new Set(schema.columns.map((c) => c.name));
  const missing = schema.columns.filter((c) => !have.has(c.name)).map((c) => c.name);
  for (const name of missing) {
    failures.push({ rule: 'columns', column: name, count: 1, message: `column ${name} is declared but not in the source (source columns: ${sourceColumns.join(', ')})` });
  }
  const unknown = sourceColumns.filter((n) => !declared.has(n));
  if (unknown.length > 0 && schema.unknownColumns === 'Reject') {
    failures.push({
      rule: 'unknownColumns',
      column: unknown.join(', '),
      count: unknown.length,
      message: `unknownColumns Reject: the source has ${unknown.length} undeclared column(s): ${unknown.join(', ')}`,
    });
  }
  return failures;
}

function pct(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}

function rows(n: number): string {
  return n === 1 ? '1 row' : `${n} rows`;
}

/** The dataset-level rules, in order; every broken one is reported, the first names the reason. */
export function evaluate(counts: Counts, validation: DatasetValidation = {}, columns: DatasetColumn[] = []): Failure[] {
  const failures: Failure[] = [];
  const maxInvalid = validation.maxInvalidFraction ?? 0;
  if (counts.totalRows > 0 && counts.invalidRows / counts.totalRows > maxInvalid) {
    const broken = counts.checks.filter((c) => c.count > 0);
    for (const { check, count, firstRow } of broken) {
      const f: Failure = {
        rule: check.rule,
        column: check.column,
        count,
        message: `${check.column} ${check.rule}: ${rows(count)} ${check.detail}${firstRow !== undefined ? ` (first at data row ${firstRow})` : ''}`,
      };
      if (firstRow !== undefined) f.firstRow = firstRow;
      failures.push(f);
    }
    failures.unshift({
      rule: 'maxInvalidFraction',
      count: counts.invalidRows,
      message: `maxInvalidFraction: ${counts.invalidRows} of ${rows(counts.totalRows)} (${pct(counts.invalidRows / counts.totalRows)}) break a column rule, at most ${pct(maxInvalid)} allowed`,
    });
  }
  const minRows = validation.minRows ?? 1;
  if (counts.validRows < minRows) {
    failures.push({ rule: 'minRows', count: counts.validRows, message: `minRows: ${rows(counts.validRows)} valid, at least ${minRows} required` });
  }
  const maxNull = validation.maxNullFraction ?? 1;
  if (counts.validRows > 0) {
    for (const c of columns) {
      if (c.nullable === false) continue;
      const n = counts.nulls[c.name] ?? 0;
      if (n / counts.validRows > maxNull) {
        failures.push({
          rule: 'maxNullFraction',
          column: c.name,
          count: n,
          message: `maxNullFraction: column ${c.name} misses ${n} of ${counts.validRows} values (${pct(n / counts.validRows)}), at most ${pct(maxNull)} allowed`,
        });
      }
    }
    const maxDup = validation.maxDuplicateFraction ?? 1;
    const dups = counts.validRows - counts.distinctRows;
    if (dups / counts.validRows > maxDup) {
      failures.push({
        rule: 'maxDuplicateFraction',
        count: dups,
        message: `maxDuplicateFraction: ${rows(dups)} of ${counts.validRows} (${pct(dups / counts.validRows)}) duplicate an earlier row, at most ${pct(maxDup)} allowed`,
      });
    }
  }
  return failures;
}

/** One line for a condition message: the failures in order, shortened to fit. */
export function failureMessage(failures: Failure[], limit = 1024): string {
  const text = failures.map((f) => f.message).join('; ');
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
