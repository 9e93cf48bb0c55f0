// The ingest: fetch a Dataset's source, validate it, mask personal data, write the canonical
// Parquet version under its content digest, and profile it. Nothing already stored is replaced.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnProfile, DatasetColumn, DatasetVersion } from '../api/v1alpha1/types.ts';
import { datasetDataKey, datasetProfileKey, shortVersion } from '../artifacts/layout.ts';
import { ArtifactExistsError } from '../artifacts/store.ts';
import type { ArtifactStore, ObjectInfo } from '../artifacts/store.ts';
import type { Logger } from '../runtime/log.ts';
import type { IngestConfig } from './config.ts';
import { InfrastructureError, ValidationError } from './errors.ts';
import { piiExpr, storedType } from './pii.ts';
import { compactColumn, profileTable } from './profile.ts';
import type { DatasetProfile } from './profile.ts';
import { fetchSource } from './source.ts';
import { ident, str, toNumber } from './sql.ts';
import { checkColumnNames, columnChecks, evaluate, failureMessage, typedExpr } from './validate.ts';
import type { Counts } from './validate.ts';

/** Parquet settings of the canonical version; part of what the digest covers, so fixed. */
export const PARQUET_OPTIONS = 'FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880';

/** What an ingest reports (the termination message, see docs/contracts-data.md). */
export interface IngestResult {
  ok: true;
  version: DatasetVersion;
  /** Rows read from the source. */
  sourceRows: number;
  /** Rows dropped for breaking a column rule. */
  invalidRows: number;
  /** The version was already stored (same content): nothing was written. */
  reused: boolean;
  /** The digest differs from MODELOPS_PREVIOUS_DIGEST (true when none was given). */
  changed: boolean;
  columns: ColumnProfile[];
}

export interface IngestDeps {
  store: ArtifactStore;
  log: Logger;
  now: () => Date;
}

export async function ingest(config: IngestConfig, deps: IngestDeps): Promise<{ result: IngestResult; profile: DatasetProfile }> {
  const { log } = deps;
  const work = await mkdtemp(join(config.workDir, 'modelops-ingest-'));
  const options: Record<string, string> = { temp_directory: join(work, 'duckdb') };
  if (config.duckdbThreads) options.threads = String(config.duckdbThreads);
  if (config.duckdbMemoryLimit) options.memory_limit = config.duckdbMemoryLimit;
  const instance = await DuckDBInstance.create(':memory:', options);
  const conn = await instance.connect();
  try {
    return await run(config, deps, conn, work);
  } finally {
    conn.closeSync();
    instance.closeSync();
    await rm(work, { recursive: true, force: true });
    log.debug({ phase: 'cleanup' }, 'removed the work folder');
  }
}

async function run(config: IngestConfig, { store, log, now }: IngestDeps, conn: DuckDBConnection, work: string): Promise<{ result: IngestResult; profile: DatasetProfile }> {
  const { spec } = config;
  const columns = spec.schema.columns;
  // Every statement is timed at debug level (MODELOPS_LOG_LEVEL=debug) to see where time goes.
  const timed = async <T>(sql: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await f();
    log.debug({ phase: 'sql', ms: Math.round(performance.now() - t0), sql: sql.length > 200 ? `${sql.slice(0, 200)}…` : sql }, 'statement');
    return out;
  };
  const query = (sql: string) => timed(sql, async () => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]);
  const exec = (sql: string) => timed(sql, () => conn.run(sql));
  const started = Date.now();
  const progress = (phase: string, fields: Record<string, unknown>, msg: string) => log.info({ phase, elapsedMs: Date.now() - started, ...fields }, msg);

  const source = await fetchSource(spec.source.uri, config.sourceEnv, config.pvcRoot, work);
  progress('fetch', { uri: spec.source.uri, bytes: source.bytes }, 'source fetched');

  try {
    await exec(`CREATE TABLE raw AS SELECT * FROM ${readerSql(config, source.path)}`);
  } catch (err) {
    const first = (err as Error).message.split('\n')[0] ?? '';
    // Memory and disk are the Job's problem, not the data's: those are retried.
    if (/^(Out of Memory|IO) Error/.test(first)) throw new InfrastructureError('ResourcesExhausted', `reading the source: ${first}`, { cause: err });
    const failure = { rule: 'format', count: 1, message: `the source cannot be read as ${config.format}: ${first}` };
    throw new ValidationError(failure.message, [failure]);
  }
  const described = await query('DESCRIBE raw');
  const sourceColumns = described.map((r) => String(r.column_name));
  const sourceTypes = new Map(described.map((r) => [String(r.column_name), String(r.column_type)]));
  const nameFailures = checkColumnNames(spec.schema, sourceColumns);
  if (nameFailures.length > 0) throw new ValidationError(failureMessage(nameFailures), nameFailures);

  // One row per source row: typed values, one flag per column rule, the source position.
  // DuckDB keeps insertion order (preserve_insertion_order, on by default) through scans,
  // projections and filters, so the tables need no ORDER BY; only the final write sorts.
  const byName = new Map(columns.map((c) => [c.name, c]));
  const raw = (name: string) => `raw.${ident(name)}`;
  const typed = (name: string) => typedExpr(byName.get(name)!, raw(name), sourceTypes.get(name));
  const checks = columnChecks(columns, raw, typed);
  const flags = checks.map((_, i) => `__f${i}`);
  const anyFlag = flags.length > 0 ? flags.join(' OR ') : 'false';
  // Computed twice (tally, then the valid rows) rather than stored: a third table of every
  // source row would raise peak memory by a third; the expressions are cheap.
  const flagged = `(SELECT rowid AS __row, ${[
    ...columns.map((c) => `${typed(c.name)} AS ${ident(c.name)}`),
    ...checks.map((c, i) => `${c.sql} AS ${flags[i]}`),
  ].join(', ')} FROM raw)`;
  const [tally = {}] = await query(
    `SELECT ${[
      'count(*) AS total',
      `count_if(${anyFlag}) AS invalid`,
      ...flags.flatMap((f, i) => [`count_if(${f}) AS n${i}`, `min(__row) FILTER (WHERE ${f}) AS r${i}`]),
    ].join(', ')} FROM ${flagged}`,
  );
  await exec(`CREATE TABLE valid AS SELECT __row, ${columns.map((c) => ident(c.name)).join(', ')} FROM ${flagged} WHERE NOT (${anyFlag})`);
  await exec('DROP TABLE raw');
  const [nulls = {}] = await query(`SELECT count(*) AS valid, ${columns.map((c, i) => `count(*) - count(${ident(c.name)}) AS z${i}`).join(', ')} FROM valid`);
  // Counting distinct rows is a hash of every row: only when the rule asks for it.
  const checkDuplicates = (spec.validation?.maxDuplicateFraction ?? 1) < 1;
  const [distinct = {}] = checkDuplicates ? await query(`SELECT count(*) AS n FROM (SELECT DISTINCT ${columns.map((c) => ident(c.name)).join(', ')} FROM valid)`) : [{ n: nulls.valid }];
  const counts: Counts = {
    totalRows: toNumber(tally.total),
    invalidRows: toNumber(tally.invalid),
    checks: checks.map((check, i) => {
      const first = tally[`r${i}`];
      return { check, count: toNumber(tally[`n${i}`]), ...(first === null || first === undefined ? {} : { firstRow: toNumber(first) + 1 }) };
    }),
    validRows: toNumber(nulls.valid),
    nulls: Object.fromEntries(columns.map((c, i) => [c.name, toNumber(nulls[`z${i}`])])),
    distinctRows: toNumber(distinct.n),
  };
  progress('validate', { sourceRows: counts.totalRows, invalidRows: counts.invalidRows, validRows: counts.validRows }, 'validated');
  const failures = evaluate(counts, spec.validation, columns);
  if (failures.length > 0) throw new ValidationError(failureMessage(failures), failures);

  // The version: declared columns in declared order, personal data handled, source row order.
  const stored: { column: DatasetColumn; sql: string }[] = [];
  for (const c of columns) {
    const sql = piiExpr(c, ident(c.name), config.piiSalt);
    if (sql !== undefined) stored.push({ column: c, sql });
  }
  // Hashing and masking are computed once into a table; without them the version is a view
  // of the valid rows, which saves a copy of every row.
  const transformed = stored.some((s) => s.column.pii === 'hash' || s.column.pii === 'mask');
  await exec(`CREATE ${transformed ? 'TABLE' : 'VIEW'} version AS SELECT __row, ${stored.map((s) => `${s.sql} AS ${ident(s.column.name)}`).join(', ')} FROM valid`);
  if (transformed) await exec('DROP TABLE valid');
  const parquet = join(work, 'data.parquet');
  // The ORDER BY is what makes the bytes canonical: without it the Parquet row groups follow
  // the table's physical layout, which depends on how many threads built it; sorted, DuckDB
  // writes identical files for 1, 2 or 4 threads (test/integration/ingest.test.ts checks).
  await exec(`COPY (SELECT ${stored.map((s) => ident(s.column.name)).join(', ')} FROM version ORDER BY __row) TO ${str(parquet)} (${PARQUET_OPTIONS})`);
  const hash = createHash('sha256');
  await pipeline(createReadStream(parquet), hash);
  const hex = hash.digest('hex');
  const digest = `sha256:${hex}`;
  progress('write', { digest }, 'canonical Parquet written');

  const dataKey = datasetDataKey(config.namespace, config.dataset, hex);
  const profileKey = datasetProfileKey(config.namespace, config.dataset, hex);
  const [existing, existingProfile] = await storeOp(() => Promise.all([store.head(dataKey), store.head(profileKey)]));

  let profile: DatasetProfile;
  if (existing && existingProfile) {
    profile = JSON.parse((await storeOp(() => store.read(profileKey))).toString('utf8')) as DatasetProfile;
  } else {
    const settings = { histogramBins: spec.profile?.histogramBins ?? 20, maxCategories: spec.profile?.maxCategories ?? 50 };
    const profiled = await profileTable(
      query,
      'version',
      stored.map((s) => ({ name: s.column.name, type: storedType(s.column) })),
      settings,
    );
    profile = { apiVersion: 'modelops.dev/v1alpha1', kind: 'DatasetProfile', namespace: config.namespace, dataset: config.dataset, digest, rows: counts.validRows, settings, columns: profiled };
    progress('profile', { columns: profiled.length }, 'profiled');
  }

  let data: ObjectInfo | undefined = existing;
  let reused = existing !== undefined;
  if (!data) {
    try {
      data = await storeOp(() => store.put(dataKey, { path: parquet }, { contentType: 'application/vnd.apache.parquet' }));
    } catch (err) {
      // Another run stored the same content first: same bytes, same version.
      if (!(err instanceof ArtifactExistsError)) throw err;
      data = await storeOp(() => store.head(dataKey));
      reused = true;
    }
  }
  if (!existingProfile) {
    try {
      await storeOp(() => store.put(profileKey, Buffer.from(`${JSON.stringify(profile, null, 2)}\n`), { contentType: 'application/json' }));
    } catch (err) {
      if (!(err instanceof ArtifactExistsError)) throw err;
    }
  }
  progress('store', { uri: store.uri(dataKey), reused }, reused ? 'version already stored; nothing written' : 'version stored');

  const createdAt = (reused && data?.lastModified ? data.lastModified : now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const version: DatasetVersion = {
    version: shortVersion(hex),
    digest,
    uri: store.uri(dataKey),
    profileUri: store.uri(profileKey),
    rows: counts.validRows,
    bytes: data?.size ?? 0,
    createdAt,
  };
  return {
    result: {
      ok: true,
      version,
      sourceRows: counts.totalRows,
      invalidRows: counts.invalidRows,
      reused,
      changed: config.previousDigest === undefined || config.previousDigest.replace(/^sha256:/, '') !== hex,
      columns: profile.columns.map(compactColumn),
    },
    profile,
  };
}

/** The DuckDB table function reading the local source file. */
export function readerSql(config: Pick<IngestConfig, 'format' | 'spec'>, path: string): string {
  switch (config.format) {
    case 'csv': {
      const csv = config.spec.source.csv ?? {};
      const header = csv.header ?? true;
      // Every value as text: the declared types are applied (and checked) by the ingest.
      const opts = [`header = ${header}`, `delim = ${str(csv.delimiter ?? ',')}`, 'all_varchar = true'];
      if (!header) opts.push(`names = [${config.spec.schema.columns.map((c) => str(c.name)).join(', ')}]`);
      return `read_csv(${str(path)}, ${opts.join(', ')})`;
    }
    case 'jsonl':
      return `read_json(${str(path)}, format = 'newline_delimited')`;
    case 'parquet':
      return `read_parquet(${str(path)})`;
  }
}

async function storeOp<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof ArtifactExistsError) throw err;
    throw new InfrastructureError('StoreUnavailable', `artifact store: ${(err as Error).message}`, { cause: err });
  }
}
