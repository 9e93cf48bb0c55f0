// Which stored version of the referenced Dataset a run trains on, and the schema the trainer
// gets for it, as pure decisions: ready, worth waiting for, or impossible as written.
import type { Dataset, DatasetColumn, DatasetVersion, TrainingJob } from '../../api/v1alpha1/types.ts';
import { Reasons } from '../../runtime/events.ts';
import type { Reason } from '../../runtime/events.ts';

export type DatasetResolution =
  | { state: 'Ready'; dataset: string; version: DatasetVersion; format: string; columns: DatasetColumn[] }
  /** Nothing to train on yet; the Dataset's next change may bring it. */
  | { state: 'Waiting'; reason: Reason; message: string }
  /** The spec asks for something the Dataset does not have. */
  | { state: 'Failed'; reason: Reason; message: string };

/**
 * The columns of the stored version as the trainer must read them: `pii: drop` columns are
 * not in it; hashed and masked ones hold text, so they are strings whatever their declared
 * type, and their declared range and values no longer apply.
 */
export function trainerColumns(columns: readonly DatasetColumn[]): DatasetColumn[] {
  return columns
    .filter((c) => c.pii !== 'drop')
    .map((c) => {
      const { pii, description: _, ...rest } = c;
      if (!pii) return rest;
      const { min: _min, max: _max, allowedValues: _values, ...text } = rest;
      return { ...text, type: 'string' as const };
    });
}

function matches(v: DatasetVersion, pin: string): boolean {
  return v.version === pin || v.digest === pin || v.digest === `sha256:${pin}`;
}

export function resolveDataset(tj: TrainingJob, dataset: Dataset | undefined): DatasetResolution {
  const ref = tj.spec.datasetRef;
  if (!dataset) {
    return { state: 'Waiting', reason: Reasons.WaitingForDataset, message: `Dataset ${ref.name} does not exist in namespace ${tj.metadata.namespace}; waiting for it to be created` };
  }
  const status = dataset.status ?? {};
  const known = [...(status.currentVersion ? [status.currentVersion] : []), ...(status.versions ?? [])];
  let version: DatasetVersion | undefined;
  if (ref.version) {
    version = known.find((v) => matches(v, ref.version!));
    if (!version && known.length === 0) {
      return { state: 'Waiting', reason: Reasons.WaitingForDataset, message: `Dataset ${ref.name} has no version yet (phase ${status.phase ?? 'Pending'}); waiting for version ${ref.version}` };
    }
    if (!version) {
      const have = [...new Set(known.map((v) => v.version))].join(', ');
      return {
        state: 'Failed',
        reason: Reasons.DatasetVersionNotFound,
        message: `Dataset ${ref.name} has no version ${ref.version} (its versions: ${have}); pin one of them or remove datasetRef.version to use the current one`,
      };
    }
  } else {
    version = status.currentVersion;
    if (!version) {
      return { state: 'Waiting', reason: Reasons.WaitingForDataset, message: `Dataset ${ref.name} has no current version yet (phase ${status.phase ?? 'Pending'}); waiting for its first ingest` };
    }
  }
  // Every stored version is canonical Parquet (docs/contracts-data.md), whatever the source was.
  return { state: 'Ready', dataset: ref.name, version, format: 'parquet', columns: trainerColumns(dataset.spec.schema.columns) };
}
