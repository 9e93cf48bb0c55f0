// SQL text helpers for DuckDB: every name and value that reaches SQL goes through these.

/** A quoted identifier: "name" with embedded quotes doubled. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A string literal with embedded quotes doubled. */
export function str(value: string): string {
  if (value.includes('\0')) throw new Error('NUL characters cannot appear in SQL text');
  return `'${value.replaceAll("'", "''")}'`;
}

/** A DOUBLE literal; only finite numbers. */
export function num(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return `CAST(${str(String(value))} AS DOUBLE)`;
}

/** Converts DuckDB's JS values (bigint counts, Dates) into plain JSON-safe values. */
export function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

/** A count or measure from a DuckDB row as a number (0 when missing). */
export function toNumber(value: unknown): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  return 0;
}
