// The Seattle weather sample (npm package vega-datasets) and the schema of
// examples/seattle-weather/01-dataset.yaml, shared by the tests that ingest or train on it.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DatasetColumn, DatasetSpec, DatasetVersion } from '../../operator/api/v1alpha1/types.ts';
import { REPO_ROOT } from './control-plane.ts';

export const SEATTLE_CSV = join(REPO_ROOT, 'node_modules/vega-datasets/data/seattle-weather.csv');

const COLUMNS: readonly DatasetColumn[] = [
  { name: 'date', type: 'timestamp', role: 'timestamp', nullable: false },
  { name: 'precipitation', type: 'number', min: 0, max: 200 },
  { name: 'temp_max', type: 'number', min: -30, max: 50 },
  { name: 'temp_min', type: 'number', min: -30, max: 50 },
  { name: 'wind', type: 'number', min: 0, max: 30 },
  { name: 'weather', type: 'category', role: 'target', nullable: false, allowedValues: ['sun', 'rain', 'drizzle', 'fog', 'snow'] },
];

/** A fresh copy each time: tests change their schema (add a column, tighten a rule). */
export function seattleColumns(): DatasetColumn[] {
  return structuredClone(COLUMNS) as DatasetColumn[];
}

/**
 * Runs the real ingest command (`operator/data/main.ts ingest`) on a Seattle CSV as the ingest
 * Job would, for Dataset `seattle` in `namespace`, storing into `store`; returns the stored version.
 */
export async function ingestSeattle(o: { csv?: string; namespace: string; store: string; work: string; env?: Record<string, string> }): Promise<DatasetVersion> {
  const termination = join(o.work, 'ingest-termination');
  const spec: DatasetSpec = { source: { uri: pathToFileURL(o.csv ?? SEATTLE_CSV).href, format: 'csv' }, schema: { columns: seattleColumns() } };
  const env = {
    ...o.env,
    PATH: process.env.PATH ?? '',
    MODELOPS_DATASET_NAMESPACE: o.namespace,
    MODELOPS_DATASET_NAME: 'seattle',
    MODELOPS_DATASET_SPEC: JSON.stringify(spec),
    MODELOPS_ARTIFACT_STORE: o.store,
    MODELOPS_TERMINATION_MESSAGE_PATH: termination,
    MODELOPS_WORK_DIR: o.work,
    MODELOPS_DUCKDB_THREADS: '1',
  };
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, ['operator/data/main.ts', 'ingest'], { cwd: REPO_ROOT, env }, (err, _out, stderr) => (err ? reject(new Error(`ingest failed: ${stderr}`)) : resolve())),
  );
  return (JSON.parse(await readFile(termination, 'utf8')) as { version: DatasetVersion }).version;
}
