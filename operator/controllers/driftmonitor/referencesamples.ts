// The reference as exact samples: the stored rows of the reference Dataset version (its
// canonical Parquet in the artifact store), read with DuckDB into one sorted sample per numeric
// column and counts per category. Versions are content-addressed, so what was read is kept for
// the next runs (a few versions at most).
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ArtifactReader } from '../../artifacts/resolve.ts';
import { ident, str, toNumber } from '../../data/sql.ts';
import { sortedSample } from '../../drift/inputs.ts';

/**
 * Rows read at most from a reference version; above it, a seeded reservoir sample of this many.
 * Memory: 8 bytes per value, so 20 numeric features take 40 MB per version (the operator's
 * default limit is 512 MiB, and two versions are kept).
 */
export const MAX_REFERENCE_ROWS = 250_000;

export interface ReferenceSamples {
  /** Sorted finite values per numeric column. */
  numeric: Map<string, Float64Array>;
  /** Non-null values per categorical column, counted by their text. */
  categorical: Map<string, Map<string, number>>;
  /** Rows of the version read (all of them, or the sample). */
  rows: number;
  /** The version had more rows than MAX_REFERENCE_ROWS: a seeded sample was read. */
  sampled: boolean;
}

export interface ReferenceColumns {
  numeric: string[];
  categorical: string[];
}

const cache = new Map<string, ReferenceSamples>();
const CACHE_ENTRIES = 2;

/** Reads (or recalls) the columns of the Parquet version at `uri`. Throws what the reader throws, and DuckDB's errors. */
export async function referenceSamples(reader: Pick<ArtifactReader, 'open'>, uri: string, columns: ReferenceColumns, maxRows = MAX_REFERENCE_ROWS): Promise<ReferenceSamples> {
  const key = JSON.stringify([uri, [...columns.numeric].sort(), [...columns.categorical].sort(), maxRows]);
  const hit = cache.get(key);
  if (hit) return hit;
  const dir = await mkdtemp(join(tmpdir(), 'modelops-reference-'));
  try {
    const file = join(dir, 'data.parquet');
    await pipeline(await reader.open(uri), createWriteStream(file));
    const samples = await readParquet(file, columns, maxRows);
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(key, samples);
    return samples;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readParquet(file: string, columns: ReferenceColumns, maxRows: number): Promise<ReferenceSamples> {
  // Loaded on the first PredictionLog run only: the native library would otherwise add to
  // every operator's resident memory (docs/performance.md), whether it monitors drift or not.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await instance.connect();
  try {
    const source = `read_parquet(${str(file)})`;
    const total = toNumber((await conn.runAndReadAll(`SELECT count(*) AS n FROM ${source}`)).getRowObjectsJS()[0]?.n);
    const sampled = total > maxRows;
    const all = [...columns.numeric, ...columns.categorical];
    // REPEATABLE with one thread: the same version gives the same sample on every run.
    await conn.run(`CREATE TEMP TABLE ref AS SELECT ${all.length ? all.map(ident).join(', ') : '1 AS one'} FROM ${source}${sampled ? ` USING SAMPLE reservoir(${maxRows} ROWS) REPEATABLE (8)` : ''}`);
    const numeric = new Map<string, Float64Array>();
    for (const name of columns.numeric) {
      const col = (await conn.runAndReadAll(`SELECT CAST(${ident(name)} AS DOUBLE) AS v FROM ref WHERE ${ident(name)} IS NOT NULL`)).getColumnsJS()[0] ?? [];
      numeric.set(name, sortedSample(Float64Array.from(col as (number | null)[], (v) => (typeof v === 'number' ? v : Number.NaN))));
    }
    const categorical = new Map<string, Map<string, number>>();
    for (const name of columns.categorical) {
      const rows = (await conn.runAndReadAll(`SELECT CAST(${ident(name)} AS VARCHAR) AS v, count(*) AS n FROM ref WHERE ${ident(name)} IS NOT NULL GROUP BY 1 ORDER BY 1`)).getRowObjectsJS();
      categorical.set(name, new Map(rows.map((r) => [String(r.v), toNumber(r.n)])));
    }
    return { numeric, categorical, rows: Math.min(total, maxRows), sampled };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
