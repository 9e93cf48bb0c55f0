// Personal data handling at ingest, as SQL over a typed column, with plain reference versions
// the unit tests hold the SQL to.
import { createHash } from 'node:crypto';
import type { DatasetColumn } from '../api/v1alpha1/types.ts';
import { str } from './sql.ts';

/** The SQL of a column's stored value after its pii rule; undefined when the column is dropped. */
export function piiExpr(column: DatasetColumn, value: string, salt: string | undefined): string | undefined {
  switch (column.pii) {
    case undefined:
      return value;
    case 'drop':
      return undefined;
    case 'hash':
      if (!salt) throw new Error(`column ${column.name} has pii: hash, which needs a salt (MODELOPS_PII_SALT)`);
      // Hex sha256 of salt followed by the value's text; NULL stays NULL.
      return `sha256(${str(salt)} || CAST(${value} AS VARCHAR))`;
    case 'mask':
      // Only the last 4 characters are kept (a value of 4 or fewer characters is kept whole).
      return `right(CAST(${value} AS VARCHAR), 4)`;
  }
}

/** Reference for pii: hash on one text value. */
export function hashValue(salt: string, value: string): string {
  return createHash('sha256').update(salt + value, 'utf8').digest('hex');
}

/** Reference for pii: mask on one text value (characters, not UTF-16 units). */
export function maskValue(value: string): string {
  return Array.from(value).slice(-4).join('');
}

/** The type a column has in the stored version: hashed or masked values are strings. */
export function storedType(column: DatasetColumn): DatasetColumn['type'] {
  return column.pii === 'hash' || column.pii === 'mask' ? 'string' : column.type;
}
