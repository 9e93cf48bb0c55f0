// The Seattle weather sample (npm package vega-datasets) and the schema of
// examples/seattle-weather/01-dataset.yaml, shared by the tests that ingest or train on it.
import { join } from 'node:path';
import type { DatasetColumn } from '../../operator/api/v1alpha1/types.ts';
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
