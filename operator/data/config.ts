// The ingest command's configuration: the only module of operator/data that reads the
// environment. The contract is written down in docs/contracts-data.md.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { DatasetSpec } from '../api/v1alpha1/types.ts';
import { COLUMN_TYPES } from '../api/v1alpha1/schema/dataset.ts';
import { IngestConfigError } from './errors.ts';

export type SourceFormat = 'csv' | 'jsonl' | 'parquet';

export interface IngestConfig {
  namespace: string;
  dataset: string;
  spec: DatasetSpec;
  format: SourceFormat;
  artifactStore: string;
  /** Environment for the artifact store's client (AWS_* with MODELOPS_ARTIFACT_AWS_* taking precedence). */
  storeEnv: Record<string, string | undefined>;
  /** Environment for fetching the source (AWS_*, AUTHORIZATION). */
  sourceEnv: Record<string, string | undefined>;
  previousDigest: string | undefined;
  piiSalt: string | undefined;
  pvcRoot: string;
  workDir: string;
  terminationMessagePath: string;
  duckdbThreads: number | undefined;
  duckdbMemoryLimit: string | undefined;
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function required(env: Record<string, string | undefined>, name: string, hint: string): string {
  const v = env[name];
  if (!v) throw new IngestConfigError(`${name} is required: ${hint}`);
  return v;
}

/** The format named by the spec, else by the URI's extension (a trailing .gz is ignored). */
export function sourceFormat(uri: string, declared: string | undefined): SourceFormat {
  if (declared) {
    if (declared === 'csv' || declared === 'jsonl' || declared === 'parquet') return declared;
    throw new IngestConfigError(`source format "${declared}" is not one of csv, jsonl, parquet`);
  }
  const path = uri.replace(/[?#].*$/, '').toLowerCase().replace(/\.gz$/, '');
  if (path.endsWith('.csv') || path.endsWith('.tsv')) return 'csv';
  if (path.endsWith('.jsonl') || path.endsWith('.ndjson')) return 'jsonl';
  if (path.endsWith('.parquet')) return 'parquet';
  throw new IngestConfigError(`cannot tell the format of ${uri} from its extension: set spec.source.format to csv, jsonl or parquet`);
}

/** Checks the parts of the spec the ingest relies on (the API server checked the rest). */
export function checkSpec(spec: unknown): DatasetSpec {
  const s = spec as Partial<DatasetSpec> | null;
  if (!s || typeof s !== 'object') throw new IngestConfigError('the Dataset spec must be a JSON object');
  if (!s.source || typeof s.source.uri !== 'string' || !/^(s3|https?|pvc|file):\/\/.+/.test(s.source.uri)) {
    throw new IngestConfigError('spec.source.uri must be an s3://, http(s)://, pvc:// or file:// URI');
  }
  if (!s.schema || !Array.isArray(s.schema.columns) || s.schema.columns.length === 0) throw new IngestConfigError('spec.schema.columns must list at least one column');
  const seen = new Set<string>();
  for (const c of s.schema.columns) {
    if (!c || typeof c.name !== 'string' || c.name === '') throw new IngestConfigError('every column needs a name');
    if (seen.has(c.name)) throw new IngestConfigError(`column ${c.name} is declared twice`);
    seen.add(c.name);
    if (!(COLUMN_TYPES as readonly string[]).includes(c.type)) throw new IngestConfigError(`column ${c.name}: type "${String(c.type)}" is not one of ${COLUMN_TYPES.join(', ')}`);
    if (c.name.startsWith('__')) throw new IngestConfigError(`column ${c.name}: names starting with __ are reserved`);
  }
  return s as DatasetSpec;
}

export function loadIngestConfig(env: Record<string, string | undefined>): IngestConfig {
  const namespace = required(env, 'MODELOPS_DATASET_NAMESPACE', 'the Dataset\'s namespace');
  const dataset = required(env, 'MODELOPS_DATASET_NAME', 'the Dataset\'s name');
  if (!NAME.test(namespace) || !NAME.test(dataset)) throw new IngestConfigError(`"${namespace}/${dataset}" is not a valid namespace/name`);
  let specText = env.MODELOPS_DATASET_SPEC;
  if (!specText && env.MODELOPS_DATASET_SPEC_FILE) {
    try {
      specText = readFileSync(env.MODELOPS_DATASET_SPEC_FILE, 'utf8');
    } catch (err) {
      throw new IngestConfigError(`MODELOPS_DATASET_SPEC_FILE: cannot read ${env.MODELOPS_DATASET_SPEC_FILE}: ${(err as Error).message}`);
    }
  }
  if (!specText) throw new IngestConfigError('MODELOPS_DATASET_SPEC (the Dataset spec as JSON) or MODELOPS_DATASET_SPEC_FILE is required');
  let parsed: unknown;
  try {
    parsed = JSON.parse(specText);
  } catch (err) {
    throw new IngestConfigError(`MODELOPS_DATASET_SPEC is not JSON: ${(err as Error).message}`);
  }
  const spec = checkSpec(parsed);
  const artifactStore = required(env, 'MODELOPS_ARTIFACT_STORE', 'where versions are written, file:///dir or s3://bucket[/prefix]');
  if (!/^(file|s3):\/\/./.test(artifactStore)) throw new IngestConfigError(`MODELOPS_ARTIFACT_STORE "${artifactStore}" must be file:///dir or s3://bucket[/prefix]`);
  const piiSalt = env.MODELOPS_PII_SALT || undefined;
  const hashed = spec.schema.columns.filter((c) => c.pii === 'hash').map((c) => c.name);
  if (hashed.length > 0 && !piiSalt) throw new IngestConfigError(`MODELOPS_PII_SALT is required: column(s) ${hashed.join(', ')} have pii: hash`);
  const threads = env.MODELOPS_DUCKDB_THREADS ? Number(env.MODELOPS_DUCKDB_THREADS) : undefined;
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) throw new IngestConfigError('MODELOPS_DUCKDB_THREADS must be a positive integer');
  const storeEnv: Record<string, string | undefined> = {};
  for (const k of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
    storeEnv[k] = env[`MODELOPS_ARTIFACT_${k}`] ?? env[k];
  }
  const sourceEnv: Record<string, string | undefined> = {};
  for (const k of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AUTHORIZATION']) {
    sourceEnv[k] = env[k];
  }
  return {
    namespace,
    dataset,
    spec,
    format: sourceFormat(spec.source.uri, spec.source.format),
    artifactStore,
    storeEnv,
    sourceEnv,
    previousDigest: env.MODELOPS_PREVIOUS_DIGEST || undefined,
    piiSalt,
    pvcRoot: env.MODELOPS_PVC_ROOT || '/mnt/pvc',
    workDir: env.MODELOPS_WORK_DIR || tmpdir(),
    terminationMessagePath: env.MODELOPS_TERMINATION_MESSAGE_PATH || '/dev/termination-log',
    duckdbThreads: threads,
    duckdbMemoryLimit: env.MODELOPS_DUCKDB_MEMORY_LIMIT || undefined,
  };
}
